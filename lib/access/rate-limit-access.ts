import { rateClassOf } from '../../functions/rate-limits/rate-classes';
import { RATE_LIMITS_OFF, type RateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import type { RateClass } from '../../functions/rate-limits/rate-classes';
import { answeredRoutes } from '../routes/answered-routes';
import type { RouteAccess } from './route-access';

/**
 * What a function that counts its callers' requests does to the table: one conditional
 * UpdateItem per request on a counter item (functions/rate-limits/dynamo-rate-counter-store.ts),
 * granted only on keys in the counters' partitions.
 */
export const RATE_LIMIT_ACCESS: RouteAccess = { rateLimitCounters: ['dynamodb:UpdateItem'] };

/**
 * The part of the deployment's policy a route's function enforces: the classes of its route and
 * of the routes it also answers as (`alsoAnswersAs`). Empty for a function of unlimited routes.
 */
export function functionRateLimits(routeId: string, policy: RateLimitPolicy): RateLimitPolicy {
  const limited = answeredRoutes(routeId)
    .map((route) => rateClassOf(route.id))
    .filter((rateClass): rateClass is RateClass => rateClass !== null && policy[rateClass] !== undefined);
  if (limited.length === 0) return RATE_LIMITS_OFF;
  return Object.fromEntries(limited.map((rateClass) => [rateClass, policy[rateClass]]));
}

/** RATE_LIMIT_ACCESS for a function that enforces some limit, nothing for one that does not. */
export function rateLimitAccess(routeId: string, policy: RateLimitPolicy): RouteAccess {
  return functionRateLimits(routeId, policy) === RATE_LIMITS_OFF ? {} : RATE_LIMIT_ACCESS;
}
