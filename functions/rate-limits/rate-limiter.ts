import { logger } from '../observability/logger';
import type { RateClass } from './rate-classes';
import type { RateCounterStore } from './rate-counter-store';
import type { RateLimit, RateLimitPolicy } from './rate-limit-policy';

/** What the limiter decided about one request. */
export interface RateLimitVerdict {
  readonly allowed: boolean;
  readonly rateClass: RateClass;
  readonly policy: RateLimit;
  /** Requests left in the current window after this one (0 when refused). */
  readonly remaining: number;
  /** Whole seconds until the window ends and the count starts again: at least 1. */
  readonly resetSeconds: number;
}

export interface RateLimiterDeps {
  readonly store: RateCounterStore;
  readonly policy: RateLimitPolicy;
  /** Epoch milliseconds. */
  readonly now?: () => number;
  /** Told when the store fails and a request is let through unlimited (default: the function's logger, as a warning). */
  readonly warn?: (message: string, details: Readonly<Record<string, unknown>>) => void;
}

/** FNV-1a (32 bits): a cheap, stable spread of principals over a window's length. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Fixed windows per caller and class of request: at most `limit` requests in each window of
 * `windowSeconds`, counted by one conditional update per request. Each caller's windows start at
 * their own offset, so that callers refused together are not all let back in the same second.
 * A fixed window may let up to twice the limit through across a window's end; that is the price
 * of one write per request (a sliding window or token bucket needs a read before its write).
 *
 * Fails open: when the store cannot be reached, the request is let through unlimited and a
 * warning logged, since an outage of the counters must not become an outage of MLHub.
 */
export class RateLimiter {
  private readonly now: () => number;
  private readonly warn: NonNullable<RateLimiterDeps['warn']>;

  constructor(private readonly deps: RateLimiterDeps) {
    this.now = deps.now ?? Date.now;
    this.warn = deps.warn ?? ((message, details) => logger.warn(message, { ...details }));
  }

  /** Whether the class is limited at all. */
  limits(rateClass: RateClass): boolean {
    return this.deps.policy[rateClass] !== undefined;
  }

  /**
   * Counts a request of `principal` in `rateClass`. Undefined when the class is not limited, or
   * when the store failed (the request goes through).
   */
  async check(principal: string, rateClass: RateClass): Promise<RateLimitVerdict | undefined> {
    const policy = this.deps.policy[rateClass];
    if (!policy) return undefined;
    const now = this.now();
    const windowMs = policy.windowSeconds * 1000;
    const offset = fnv1a(`${rateClass} ${principal}`) % windowMs;
    const windowStart = Math.floor((now - offset) / windowMs) * windowMs + offset;
    const windowEnd = windowStart + windowMs;
    const resetSeconds = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    let count: number | undefined;
    try {
      count = await this.deps.store.take({ principal, rateClass, windowStart }, policy.limit, Math.ceil(windowEnd / 1000));
    } catch (error) {
      this.warn('rate limit check failed; the request goes through unlimited', { rateClass, error: String((error as Error)?.message ?? error) });
      return undefined;
    }
    return count === undefined
      ? { allowed: false, rateClass, policy, remaining: 0, resetSeconds }
      : { allowed: true, rateClass, policy, remaining: Math.max(0, policy.limit - count), resetSeconds };
  }
}
