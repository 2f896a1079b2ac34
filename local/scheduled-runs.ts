import type { Context } from 'aws-lambda';
import type { ScheduledFunction } from '../functions/routes/route-table';
import { newRequestId } from './api-gateway-event';
import { lambdaContext } from './lambda-context';

export type ScheduledHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * How often each schedule runs locally, by schedule id, and the variable that changes it (`0`
 * turns it off). The sweep runs every minute: often enough that an abandoned upload ends soon
 * after its expiry while one watches, rarely enough to stay out of the way. (The cloud's rate is
 * the route table's.)
 */
export const LOCAL_INTERVALS: Readonly<Record<string, { readonly env: string; readonly defaultSeconds: number }>> = {
  sweepVersions: { env: 'MLHUB_SWEEP_SECONDS', defaultSeconds: 60 },
};

/** A schedule's local interval in seconds, from the environment; a value that is not a whole number of seconds is refused, not guessed at. */
export function localIntervalSeconds(schedule: ScheduledFunction, env: NodeJS.ProcessEnv = process.env): number {
  const setting = LOCAL_INTERVALS[schedule.id];
  if (!setting) throw new Error(`Schedule '${schedule.id}' has no entry in LOCAL_INTERVALS (local/scheduled-runs.ts): say how often it runs locally`);
  const raw = env[setting.env]?.trim();
  if (raw === undefined || raw === '') return setting.defaultSeconds;
  if (!/^\d{1,7}$/.test(raw)) throw new Error(`${setting.env} must be a whole number of seconds (0 turns ${schedule.id} off), got '${raw}'`);
  return Number(raw);
}

export interface ScheduledRunsOptions {
  readonly schedules: readonly ScheduledFunction[];
  readonly loadHandler: (module: string) => Promise<ScheduledHandler>;
  /** Seconds between runs of each schedule locally; 0 runs it never. */
  readonly intervalSeconds: (schedule: ScheduledFunction) => number;
  readonly log: (line: string) => void;
}

/**
 * Runs each schedule's handler on a timer, as EventBridge runs it in the cloud: with a Lambda
 * context whose deadline is the schedule's timeout. A run never overlaps the previous one of the
 * same schedule (a tick that finds it still going is skipped), a failure is logged and never
 * reaches the process, and the timers do not keep the process alive. Returns the stop function:
 * it clears the timers. A run in flight is not waited for (a sweep may go on for minutes); the
 * stores close under it, and what that makes it fail with is not logged.
 */
export function startScheduledRuns(options: ScheduledRunsOptions): () => Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<string>();
  let stopped = false;

  const run = (schedule: ScheduledFunction): void => {
    if (stopped || running.has(schedule.id)) return;
    running.add(schedule.id);
    void (async () => {
      try {
        const handler = await options.loadHandler(schedule.handler);
        await handler({ source: 'mlhub.local-schedule', 'detail-type': 'Scheduled Event', time: new Date().toISOString() },
          lambdaContext(`mlhub-${schedule.id}`, newRequestId(), schedule.memoryMb, schedule.timeoutSeconds));
      } catch (error) {
        if (!stopped) options.log(`${schedule.id} failed: ${(error as Error)?.message ?? String(error)}`);
      } finally {
        running.delete(schedule.id);
      }
    })();
  };

  for (const schedule of options.schedules) {
    const seconds = options.intervalSeconds(schedule);
    if (seconds <= 0) continue;
    const timer = setInterval(() => run(schedule), seconds * 1000);
    timer.unref();
    timers.push(timer);
  }

  return async () => {
    stopped = true;
    for (const timer of timers) clearInterval(timer);
  };
}
