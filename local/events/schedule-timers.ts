import type { CatalogueFunctionOf, FunctionIdOfKind } from '../../functions/catalogue/function-catalogue';
import { MAX_TIMER_SECONDS, parseWholeNumber } from '../../functions/platform/env-values';
import { failureText } from './dead-letter-store';
import type { DeliveryContext } from './delivery-context';
import { scheduledEvent } from './lambda-events';

/**
 * How often each schedule runs locally, by function id, and the variable that changes it (`0`
 * turns it off). The sweep runs every minute: often enough that an abandoned upload ends soon
 * after its expiry while one watches, rarely enough to stay out of the way. (The cloud's rate is
 * the catalogue's.)
 */
export const LOCAL_INTERVALS: Readonly<Record<FunctionIdOfKind<'schedule'>, { readonly env: string; readonly defaultSeconds: number }>> = {
  sweepVersions: { env: 'MLHUB_SWEEP_SECONDS', defaultSeconds: 60 },
};

/**
 * A schedule's local interval in seconds, from the environment; a value that is not a whole number
 * of seconds from 0 to MAX_TIMER_SECONDS (the longest setInterval takes) is refused, not guessed at.
 */
export function localIntervalSeconds(fn: { readonly id: string }, env: NodeJS.ProcessEnv = process.env): number {
  const setting = (LOCAL_INTERVALS as Readonly<Record<string, { readonly env: string; readonly defaultSeconds: number } | undefined>>)[fn.id];
  if (!setting) throw new Error(`Schedule '${fn.id}' has no entry in LOCAL_INTERVALS (local/events/schedule-timers.ts): say how often it runs locally`);
  const raw = env[setting.env];
  if (raw === undefined || raw === '') return setting.defaultSeconds;
  const seconds = parseWholeNumber(raw, 0, MAX_TIMER_SECONDS);
  if (seconds === undefined) throw new Error(`${setting.env} must be a whole number of seconds from 0 (${fn.id} off) to ${MAX_TIMER_SECONDS}, got '${raw}'`);
  return seconds;
}

/**
 * Runs each scheduled function on a timer, as an EventBridge rule runs it in the cloud: with a
 * ScheduledEvent and a Lambda context whose deadline is the function's timeout. A run never
 * overlaps the previous one of the same function (a tick that finds it still going is skipped),
 * a failure is logged and never retried (the next run is the retry, as in the cloud), and the
 * timers do not keep the process alive. Returns the stop function: it clears the timers. A run in
 * flight is not waited for (a sweep may go on for minutes); the stores close under it, and what
 * that makes it fail with is not logged.
 */
export function startScheduleTimers(functions: readonly CatalogueFunctionOf<'schedule'>[], intervalSeconds: (fn: CatalogueFunctionOf<'schedule'>) => number, context: DeliveryContext): () => void {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<string>();

  const run = (fn: CatalogueFunctionOf<'schedule'>): void => {
    if (context.stopped() || running.has(fn.id)) return;
    running.add(fn.id);
    void (async () => {
      try {
        await context.invoke(fn, scheduledEvent(`mlhub-${fn.id}`, context.region));
      } catch (error) {
        if (!context.stopped()) context.log(`${fn.id} failed: ${failureText(error)}`);
      } finally {
        running.delete(fn.id);
      }
    })();
  };

  for (const fn of functions) {
    const seconds = intervalSeconds(fn);
    if (seconds <= 0) continue;
    const timer = setInterval(() => run(fn), seconds * 1000);
    timer.unref();
    timers.push(timer);
  }
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
