/**
 * How much the route fuzzer does, from the environment, so a failure can be replayed and a longer
 * hunt run by hand, while `npm test` stays seeded and time-boxed.
 */
export interface FuzzSettings {
  /** Seeds every route's run; each route derives its own from it, so adding a route moves no other route's inputs. */
  readonly seed: number;
  readonly runsPerRoute: number;
  /** The time box for all routes together, in milliseconds. */
  readonly totalMs: number;
  /** Print each route's answers by status, to see what the generated requests reach. */
  readonly stats: boolean;
}

export const FUZZ_ENV = { seed: 'MLHUB_FUZZ_SEED', runs: 'MLHUB_FUZZ_RUNS', seconds: 'MLHUB_FUZZ_SECONDS', stats: 'MLHUB_FUZZ_STATS' } as const;

const DEFAULTS = { seed: 20261130, runsPerRoute: 60, seconds: 20 } as const;

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, got '${raw}'`);
  return value;
}

export function fuzzSettings(env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  return {
    seed: wholeNumber(env, FUZZ_ENV.seed, DEFAULTS.seed, -(2 ** 31)) | 0,
    runsPerRoute: wholeNumber(env, FUZZ_ENV.runs, DEFAULTS.runsPerRoute, 1),
    totalMs: wholeNumber(env, FUZZ_ENV.seconds, DEFAULTS.seconds, 1) * 1000,
    stats: env[FUZZ_ENV.stats] === '1',
  };
}

/** A route's own seed: stable for a given route id, whatever else the table holds. */
export function routeSeed(seed: number, routeId: string): number {
  let hash = seed | 0;
  for (const char of routeId) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) | 0;
  return hash;
}
