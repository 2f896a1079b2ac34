import { logger } from '../observability/logger';
import type { UsageCounter, UsageCounters } from './usage-counters';

/**
 * Counts uses for the routes that serve them, never failing them: a use is counted once its work
 * (a download's answer, a prediction) has succeeded, by one table write awaited before the answer
 * (so a request refused or failed changes no stored state, and a counted one is in the table
 * when it answers); a write that fails is logged, not thrown.
 */
export class UsageRecorder {
  constructor(private readonly counters: UsageCounters, private readonly warn: (message: string, details: Record<string, unknown>) => void = (message, details) => logger.warn(message, details)) {}

  /** Runs `work` (the download or prediction), then counts one use of `name` if it succeeded; answers or throws what `work` does. */
  async counting<T>(name: string, counter: UsageCounter, work: () => Promise<T>): Promise<T> {
    const result = await work();
    await this.counters.count(name, counter).catch((error: unknown) => {
      this.warn('usage counter not written', { model: name, counter, error: error as Error });
    });
    return result;
  }
}
