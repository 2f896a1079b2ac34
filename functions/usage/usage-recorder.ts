import { logger } from '../observability/logger';
import type { UsageCounter, UsageCounters } from './usage-counters';

/** A count begun beside the work it counts: `settle` once the work is done, with whether it succeeded. */
export interface PendingCount {
  /**
   * Waits for the count; takes it back if the work failed (`succeeded` false). Never rejects: a
   * counter that cannot be written is logged, and the request it counts is answered as if it were.
   */
  settle(succeeded: boolean): Promise<void>;
}

/**
 * Counts uses for the routes that serve them, without ever failing or delaying them by more than
 * one table write: the count is started in parallel with the work (a download's S3 call, a
 * prediction's inference) and awaited at the end, and a failed write is logged, not thrown.
 */
export class UsageRecorder {
  constructor(private readonly counters: UsageCounters, private readonly warn: (message: string, details: Record<string, unknown>) => void = (message, details) => logger.warn(message, details)) {}

  /**
   * Runs `work` (the download or prediction) with one use counted beside it, and answers what
   * the work answers once the count is written too: a use whose work throws is not counted (its
   * count is taken back), and the work's error is thrown as it was.
   */
  async counting<T>(name: string, counter: UsageCounter, work: () => Promise<T>): Promise<T> {
    const pending = this.begin(name, counter);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await pending.settle(false);
      throw error;
    }
    await pending.settle(true);
    return result;
  }

  begin(name: string, counter: UsageCounter): PendingCount {
    const written = this.counters.count(name, counter).then(() => true, (error: unknown) => {
      this.warn('usage counter not written', { model: name, counter, error: error as Error });
      return false;
    });
    return {
      settle: async (succeeded) => {
        if (!(await written) || succeeded) return;
        await this.counters.count(name, counter, -1).catch((error: unknown) => {
          this.warn('usage counter not taken back after a failure', { model: name, counter, error: error as Error });
        });
      },
    };
  }
}
