import { CONFIG_ENV } from '../../functions/platform/function-config';
import { formatRateLimitPolicy, type RateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import { functionRateLimits } from '../access/rate-limit-access';

/**
 * MLHUB_RATE_LIMITS for a route's function: the limits of the classes its routes are counted in
 * (lib/access/rate-limit-access.ts); nothing for a function that enforces none, which then also
 * holds no grant on the counters.
 */
export function rateLimitEnvironment(routeId: string, policy: RateLimitPolicy): Record<string, string> {
  const limits = functionRateLimits(routeId, policy);
  const text = formatRateLimitPolicy(limits);
  return text === 'off' ? {} : { [CONFIG_ENV.rateLimits]: text };
}
