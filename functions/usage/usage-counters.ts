/**
 * How often a model was used, counted for search ranking and the `downloads`/`predictions` a
 * search hit shows (issue 13): bundle downloads served and successful predictions, all versions
 * together, since the model was created.
 */
export const USAGE_COUNTERS = ['downloads', 'predictions'] as const;
export type UsageCounter = (typeof USAGE_COUNTERS)[number];

export type Usage = Readonly<Record<UsageCounter, number>>;

export interface UsageCounters {
  /**
   * Adds `delta` (default 1; -1 takes back a count made for a use that then failed) to a model's
   * counter. Not idempotent: a retried call counts twice, which a usage signal tolerates (it
   * ranks, it does not bill).
   */
  count(name: string, counter: UsageCounter, delta?: number): Promise<void>;
  /** A model's counters; zeros for a model never used. */
  read(name: string): Promise<Usage>;
}
