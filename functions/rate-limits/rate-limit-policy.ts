import { CONFIG_ENV } from '../platform/function-config';
import { RATE_CLASSES, type RateClass } from './rate-classes';

/** At most `limit` requests in each window of `windowSeconds`, per caller. */
export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** The limit of each class; a class left out is not limited. Empty: rate limiting is off. */
export type RateLimitPolicy = Readonly<Partial<Record<RateClass, RateLimit>>>;

export const RATE_LIMITS_OFF: RateLimitPolicy = Object.freeze({});

export const LIMIT_RANGE = { min: 1, max: 1_000_000 } as const;
/** Windows from a second to a day: DynamoDB's TTL sweeps a window's counter within days of its end. */
export const WINDOW_RANGE = { min: 1, max: 86_400 } as const;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

export class RateLimitPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateLimitPolicyError';
  }
}

const SYNTAX = `<class>=<requests>/<window>, such as read=600/60s,write=60/1m,predict-anonymous=20/60s (classes: ${RATE_CLASSES.join(', ')}; windows in s, m or h), or off`;

function parseEntry(entry: string): [RateClass, RateLimit] {
  const match = /^([a-z][a-z-]*)\s*=\s*(\d+)\s*\/\s*(\d+)\s*([smh]?)$/i.exec(entry);
  if (!match) throw new RateLimitPolicyError(`'${entry}' is not ${SYNTAX}`);
  const rateClass = (match[1] as string).toLowerCase();
  if (!(RATE_CLASSES as readonly string[]).includes(rateClass)) {
    throw new RateLimitPolicyError(`'${entry}' names no class of requests; use ${RATE_CLASSES.join(', ')}`);
  }
  const limit = Number(match[2]);
  const windowSeconds = Number(match[3]) * (UNIT_SECONDS[(match[4] || 's').toLowerCase()] as number);
  if (limit < LIMIT_RANGE.min || limit > LIMIT_RANGE.max) {
    throw new RateLimitPolicyError(`'${entry}': the number of requests must be from ${LIMIT_RANGE.min} to ${LIMIT_RANGE.max}`);
  }
  if (windowSeconds < WINDOW_RANGE.min || windowSeconds > WINDOW_RANGE.max) {
    throw new RateLimitPolicyError(`'${entry}': the window must be from ${WINDOW_RANGE.min} second to ${WINDOW_RANGE.max / 3600} hours`);
  }
  return [rateClass as RateClass, { limit, windowSeconds }];
}

/**
 * Reads a policy written as `read=600/60s,write=60/1m,predict=120/60s,upload=60/60s`: per class,
 * requests per window (seconds, or with `s`, `m` or `h`). `predict-anonymous` limits predictions
 * by callers without a token apart from (and instead of) `predict` (rate-classes.ts). `off` or nothing turns limiting off.
 * Throws RateLimitPolicyError naming the entry at fault.
 */
export function parseRateLimitPolicy(text: string): RateLimitPolicy {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'off') return RATE_LIMITS_OFF;
  const policy: Partial<Record<RateClass, RateLimit>> = {};
  for (const entry of trimmed.split(',').map((part) => part.trim())) {
    if (entry === '') throw new RateLimitPolicyError(`an empty entry in '${trimmed}'; write ${SYNTAX}`);
    const [rateClass, limit] = parseEntry(entry);
    if (policy[rateClass]) throw new RateLimitPolicyError(`the class ${rateClass} is given twice in '${trimmed}'`);
    policy[rateClass] = limit;
  }
  return Object.freeze(policy);
}

/** The policy in the form parseRateLimitPolicy reads, windows in seconds; `off` when empty. */
export function formatRateLimitPolicy(policy: RateLimitPolicy): string {
  const entries = RATE_CLASSES.flatMap((rateClass) => {
    const limit = policy[rateClass];
    return limit ? [`${rateClass}=${limit.limit}/${limit.windowSeconds}s`] : [];
  });
  return entries.length === 0 ? 'off' : entries.join(',');
}

export const isRateLimited = (policy: RateLimitPolicy): boolean => RATE_CLASSES.some((rateClass) => policy[rateClass] !== undefined);

/** The policy a function is given in MLHUB_RATE_LIMITS; off when unset. Throws naming the variable. */
export function loadRateLimitPolicy(env: NodeJS.ProcessEnv = process.env): RateLimitPolicy {
  try {
    return parseRateLimitPolicy(env[CONFIG_ENV.rateLimits] ?? '');
  } catch (error) {
    if (error instanceof RateLimitPolicyError) throw new Error(`Environment variable ${CONFIG_ENV.rateLimits}: ${error.message}`);
    throw error;
  }
}
