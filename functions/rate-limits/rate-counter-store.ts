import type { RateClass } from './rate-classes';

/** One caller's counter for one class of requests in one window. */
export interface RateCounter {
  /** `user#<id>` for a signed-in caller, `ip#<address>` for an anonymous one. */
  readonly principal: string;
  readonly rateClass: RateClass;
  /** When the window began, in epoch milliseconds: names the window, so each has its own counter. */
  readonly windowStart: number;
}

/** Where request counts are kept: one counter per caller, class and window. */
export interface RateCounterStore {
  /**
   * Counts one request against the counter if it holds fewer than `limit`, in one atomic step.
   * Resolves to the count after this request, or `undefined` when the counter was already full
   * (nothing counted). `expiresAt` (epoch seconds) is when the store may forget the counter.
   * Rejects when the store cannot be reached.
   */
  take(counter: RateCounter, limit: number, expiresAt: number): Promise<number | undefined>;
}
