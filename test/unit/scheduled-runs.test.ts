import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { catalogueFunction, functionsTriggeredBy, type CatalogueFunctionOf } from '../../functions/catalogue/function-catalogue';
import type { EventHandler } from '../../local/events/delivery-context';
import { startEventDispatcher } from '../../local/events/event-dispatcher';
import { LOCAL_INTERVALS, localIntervalSeconds } from '../../local/events/schedule-timers';

const sweep = catalogueFunction('sweepVersions') as CatalogueFunctionOf<'schedule'>;
const SCHEDULES = functionsTriggeredBy('schedule');

/** The local dispatcher running only the given schedules, every `seconds`. */
const startSchedules = (schedules: readonly CatalogueFunctionOf<'schedule'>[], loadHandler: (module: string) => Promise<EventHandler>, seconds: number, log: (line: string) => void) => {
  const dispatcher = startEventDispatcher({
    functions: schedules, loadHandler, intervalSeconds: () => seconds, log,
    buckets: { 'bundle-bucket': 'unused' }, tableName: 'unused', region: 'us-east-1',
  });
  return dispatcher.stop;
};

describe('the local interval of a schedule', () => {
  it('is a minute for the sweep unless MLHUB_SWEEP_SECONDS says otherwise; 0 turns it off', () => {
    expect(localIntervalSeconds(sweep, {})).toBe(60);
    expect(localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: '' })).toBe(60);
    expect(localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: '5' })).toBe(5);
    expect(localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: '2147483' })).toBe(2147483);
    expect(localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: '0' })).toBe(0);
  });

  it('refuses a value that is not a whole number of seconds, naming the variable', () => {
    for (const raw of ['1.5', '-1', 'often', '1e3', ' 12 ', '0x10', '1.0']) {
      expect(() => localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: raw }), raw).toThrow(/MLHUB_SWEEP_SECONDS must be a whole number of seconds/);
    }
  });

  it('refuses an interval longer than setInterval can wait (2^31-1 ms), saying the bounds', () => {
    for (const raw of ['2147484', '99999999999']) {
      expect(() => localIntervalSeconds(sweep, { MLHUB_SWEEP_SECONDS: raw }), raw).toThrow(`MLHUB_SWEEP_SECONDS must be a whole number of seconds from 0 (sweepVersions off) to 2147483, got '${raw}'`);
    }
  });

  it('is set for every schedule in the function catalogue, and refuses one it does not know', () => {
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

  const start = (handler: EventHandler, seconds = 10) => {
    const loaded: string[] = [];
    stop = startSchedules([sweep], async (module) => {
      loaded.push(module);
      return handler;
    }, seconds, log);
    return loaded;
  };

  it('runs the schedule\'s handler at every tick, with an EventBridge ScheduledEvent and a Lambda context whose deadline is the schedule\'s timeout', async () => {
    const contexts: Context[] = [];
    const events: ScheduledEvent[] = [];
    const loaded = start(async (event, context) => {
      contexts.push(context);
      events.push(event as ScheduledEvent);
      return {};
    });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(contexts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.getRemainingTimeInMillis()).toBe(sweep.timeoutSeconds * 1000);
    expect(contexts[0]?.functionName).toBe('mlhub-sweepVersions');
    expect(events[0]).toMatchObject({ version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', region: 'us-east-1', detail: {} });
    expect(events[0]?.resources).toEqual([expect.stringMatching(/^arn:aws:events:us-east-1:\d{12}:rule\/mlhub-sweepVersions$/)]);
    expect(Date.parse(events[0]?.time ?? '')).toBe(Date.now() - (Date.now() % 1000));
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
    const stop = startSchedules([sweep], async () => async () => ({}), 3600, () => undefined);
    try {
      expect(timers()).toBe(before);
    } finally {
      await stop();
    }
  });
});
