import type { RateLimitVerdict } from './rate-limiter';

/**
 * The response fields that tell a caller about its allowance, as draft-ietf-httpapi-ratelimit-
 * headers-11 writes them (Structured Field lists, §3 and §4), the policy named for the class:
 *   RateLimit-Policy: "read";q=600;w=60    (§3.1: q requests per window of w seconds)
 *   RateLimit: "read";r=598;t=42           (§4.1: r requests left for the next t seconds)
 * and, on a refusal, Retry-After (RFC 9110 §10.2.3) in seconds, the end of the window (§6: never
 * earlier than the effective window).
 */
export function rateLimitHeaders(verdict: RateLimitVerdict): Record<string, string> {
  const name = `"${verdict.rateClass}"`;
  return {
    'ratelimit-policy': `${name};q=${verdict.policy.limit};w=${verdict.policy.windowSeconds}`,
    ratelimit: `${name};r=${verdict.remaining};t=${verdict.resetSeconds}`,
    ...(verdict.allowed ? {} : { 'retry-after': String(verdict.resetSeconds) }),
  };
}

/** What a refused caller reads: the class, its limit, and when to come back. */
export function rateLimitMessage(verdict: RateLimitVerdict): string {
  const { limit, windowSeconds } = verdict.policy;
  return `Too many ${verdict.rateClass} requests: at most ${limit} every ${windowSeconds} s per caller (signed-in user, or address when anonymous); retry after ${verdict.resetSeconds} s`;
}
