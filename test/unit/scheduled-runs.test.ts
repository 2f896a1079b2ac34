import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SCHEDULES, type ScheduledFunction } from '../../functions/routes/route-table';
import { LOCAL_INTERVALS, localIntervalSeconds, startScheduledRuns, type ScheduledHandler } from '../../local/scheduled-runs';

const sweep = SCHEDULES.find((schedule) => schedule.id === 'sweepVersions') as ScheduledFunction;

describe('the local interval of a schedule', () => {
  it('is a minute for the sweep unless MLHUB_SWEEP_SECONDS says otherwise; 0 turns it off', () => {
    expect(localIntervalSeconds(sweep, {})).toBe(60);
    expect(localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: '' })).toBe(60);
    expect(localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: ' 5 ' })).toBe(5);
    expect(localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: '0' })).toBe(0);
  });

  it('refuses a value that is not a whole number of seconds, naming the variable', () => {
    for (const raw of ['1.5', '-1', 'often', '1e3']) {
      expect(() => localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: raw }), raw).toThrow(/MLHUB_SWEEP_SECONDS must be a whole number of seconds/);
    }
  });

  it('is set for every schedule in the route table, and refuses one it does not know', () => {
    expect(Object.keys(LOCAL_INTERVALS).sort()).toEqual(SCHEDULES.map((schedule) => schedule.id).sort());
    expect(() => localIntervalSeconds({ ...sweep, id: 'noSuchSchedule' }, {})).toThrow(/no entry in LOCAL_INTERVALS/);
  });
});

describe('scheduled runs on a timer', () => {
  let stop: (() => Promise<void>) | undefined;
  const log = vi.fn<(line: string) => void>();

  beforeEach(() => {
    vi.useFakeTimers();
    log.mockClear();
  });

  afterEach(async () => {
    await stop?.();
    stop = undefined;
    vi.useRealTimers();
  });

  const start = (handler: ScheduledHandler, seconds = 10) => {
    const loaded: string[] = [];
    stop = startScheduledRuns({
      schedules: [sweep],
      loadHandler: async (module) => {
        loaded.push(module);
        return handler;
      },
      intervalSeconds: () => seconds,
      log,
    });
    return loaded;
  };

  it('runs the schedule\'s handler at every tick, with a Lambda context whose deadline is the schedule\'s timeout', async () => {
    const contexts: Context[] = [];
    const loaded = start(async (_event, context) => {
      contexts.push(context);
      return {};
    });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(contexts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.getRemainingTimeInMillis()).toBe(sweep.timeoutSeconds * 1000);
    expect(contexts[0]?.functionName).toBe('mlhub-sweepVersions');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(contexts).toHaveLength(3);
    expect(new Set(loaded)).toEqual(new Set(['sweep-versions']));
    expect(log).not.toHaveBeenCalled();
  });

  it('logs a failed run, keeps the error from the process, and runs again at the next tick', async () => {
    let runs = 0;
    start(async () => {
      runs += 1;
      if (runs === 1) throw new Error('the table did not answer');
      return {};
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log).toHaveBeenCalledWith('sweepVersions failed: the table did not answer');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(2);
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('skips a tick that finds the previous run still going, so runs of one schedule never overlap', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    start(async () => {
      runs += 1;
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 25_000));
      running -= 1;
      return {};
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(most).toBe(1);
    // Ticks at 10 s (runs until 35 s), 40 s (until 65 s): those at 20, 30, 50 and 60 s find one going.
    expect(runs).toBe(2);
  });

  it('runs nothing for an interval of 0, and nothing once stopped', async () => {
    let runs = 0;
    const handler = async () => {
      runs += 1;
      return {};
    };
    start(handler, 0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(runs).toBe(0);
    await stop?.();
    start(handler, 10);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(1);
    await stop?.();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(1);
  });

  it('does not log what a run in flight fails with once stopped (the stores closed under it)', async () => {
    let fail: ((error: Error) => void) | undefined;
    start(() => new Promise((_resolve, reject) => {
      fail = reject;
    }));
    await vi.advanceTimersByTimeAsync(10_000);
    await stop?.();
    fail?.(new Error('connect ECONNREFUSED'));
    await vi.advanceTimersByTimeAsync(0);
    expect(log).not.toHaveBeenCalled();
  });
});

describe('scheduled runs and the process', () => {
  it('keep no timer that holds the process open', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const stop = startScheduledRuns({ schedules: [sweep], loadHandler: async () => async () => ({}), intervalSeconds: () => 3600, log: () => undefined });
    try {
      expect(timers()).toBe(before);
    } finally {
      await stop();
    }
  });
});
