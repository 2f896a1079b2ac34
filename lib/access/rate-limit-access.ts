import { ANONYMOUS_RATE_CLASSES, rateClassOf } from '../../functions/rate-limits/rate-classes';
import { RATE_LIMITS_OFF, type RateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import type { RateClass } from '../../functions/rate-limits/rate-classes';
import type { RouteAccess } from './route-access';

/**
 * What a function that counts its callers' requests does to the table: one conditional
 * UpdateItem per request on a counter item (functions/rate-limits/dynamo-rate-counter-store.ts),
 * granted only on keys in the counters' partitions.
 */
export const RATE_LIMIT_ACCESS: RouteAccess = { rateLimitCounters: ['dynamodb:UpdateItem'] };

/**
 * The part of the deployment's policy a route's function enforces: its route's class, and that
 * class's anonymous variant (`predict-anonymous`) where the policy sets one. Empty for a function
 * of an unlimited route. (The seed's image forms posted to createModel are counted as
 * predictions by the predict function they are handed to.)
 */
export function functionRateLimits(routeId: string, policy: RateLimitPolicy): RateLimitPolicy {
  const rateClass: RateClass | null = rateClassOf(routeId);
  if (rateClass === null) return RATE_LIMITS_OFF;
  const anonymous = ANONYMOUS_RATE_CLASSES[rateClass];
  const limits = {
    ...(policy[rateClass] ? { [rateClass]: policy[rateClass] } : {}),
    ...(anonymous && policy[anonymous] ? { [anonymous]: policy[anonymous] } : {}),
  };
  return Object.keys(limits).length === 0 ? RATE_LIMITS_OFF : limits;
}

/** RATE_LIMIT_ACCESS for a function that enforces some limit, nothing for one that does not. */
export function rateLimitAccess(routeId: string, policy: RateLimitPolicy): RouteAccess {
  return functionRateLimits(routeId, policy) === RATE_LIMITS_OFF ? {} : RATE_LIMIT_ACCESS;
}
