/** The request limit options (routeThrottles, rateLimits): their types, defaults and readers. */
import { RATE_CLASSES, ROUTE_RATE_CLASSES, type RateClass } from '../../functions/rate-limits/rate-classes';
import { parseRateLimitPolicy, RateLimitPolicyError, type RateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import { fromJsonText, StackConfigError, stringOption } from './option-readers';

/** API Gateway throttling: steady requests per second, and the burst above it (CDK's ThrottleSettings). */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * Throttles for the routes of a class of requests (functions/rate-limits/rate-classes.ts), set as
 * the stage's route settings; a class left out has the stage-wide throttle.
 */
export type RouteThrottles = Readonly<Partial<Record<RateClass, Throttle>>>;

/**
 * Per signed-in user (or address, for anonymous callers): room for a script listing and reading
 * at 10 requests a second, or predicting at 2, while one caller cannot take the stage's 50.
 * Anonymous predictions, each up to 2 GB and 29 s of Lambda, get a sixth of that per address.
 * Deploys, each a SageMaker endpoint created, 20 an hour per user.
 */
export const DEFAULT_RATE_LIMITS = 'read=600/60s,write=60/60s,predict=120/60s,upload=120/60s,deploy=20/1h,job=60/1h,predict-anonymous=20/60s';

/**
 * Per route, for all callers: a predict route at 10 a second keeps at most about 290 of its
 * 29-second invocations running, uploads and writes at 10 and 25 stay under the stage's 50.
 */
export const DEFAULT_ROUTE_THROTTLES: RouteThrottles = {
  write: { rateLimit: 25, burstLimit: 50 },
  predict: { rateLimit: 10, burstLimit: 20 },
  upload: { rateLimit: 10, burstLimit: 20 },
  deploy: { rateLimit: 5, burstLimit: 10 },
};

/** API Gateway's account-level ceilings: 10,000 requests a second and a burst of 5,000. */
const THROTTLE_CEILINGS = { rateLimit: 10_000, burstLimit: 5_000 } as const;

function parseThrottle(rateClass: string, raw: unknown): Throttle {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StackConfigError('routeThrottles', `${rateClass}: expected {"rateLimit": <requests a second>, "burstLimit": <requests>}, got ${JSON.stringify(raw)}`);
  }
  const { rateLimit, burstLimit, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new StackConfigError('routeThrottles', `${rateClass}: unknown field(s) ${unknown.join(', ')}; give rateLimit and burstLimit`);
  const within = (name: keyof Throttle, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > THROTTLE_CEILINGS[name]) {
      throw new StackConfigError('routeThrottles', `${rateClass}: ${name} must be a whole number from 1 to ${THROTTLE_CEILINGS[name]}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  return { rateLimit: within('rateLimit', rateLimit), burstLimit: within('burstLimit', burstLimit) };
}

/** The classes routes belong to; `predict-anonymous` is a caller's, not a route's, so no throttle can name it. */
const ROUTE_CLASSES: readonly RateClass[] = RATE_CLASSES.filter((rateClass) => Object.values(ROUTE_RATE_CLASSES).includes(rateClass));

/** `{"predict": {"rateLimit": 10, "burstLimit": 20}, …}` keyed by class of requests, or `off` for none. */
export function parseRouteThrottles(raw: unknown): RouteThrottles {
  if (typeof raw === 'string' && raw.trim().toLowerCase() === 'off') return {};
  const value = fromJsonText(raw);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new StackConfigError('routeThrottles', `expected a JSON object keyed by class (${ROUTE_CLASSES.join(', ')}), such as {"predict": {"rateLimit": 10, "burstLimit": 20}}, or off`);
  }
  const throttles: Partial<Record<RateClass, Throttle>> = {};
  for (const [rateClass, entry] of Object.entries(value)) {
    if (!(ROUTE_CLASSES as readonly string[]).includes(rateClass)) {
      throw new StackConfigError('routeThrottles', `unknown class '${rateClass}'; use ${ROUTE_CLASSES.join(', ')}`);
    }
    throttles[rateClass as RateClass] = parseThrottle(rateClass, entry);
  }
  return throttles;
}

/** A policy as MLHUB_RATE_LIMITS writes it (`read=600/60s,write=60/1m`), or `off`. */
export function parseRateLimits(raw: unknown): RateLimitPolicy {
  try {
    return parseRateLimitPolicy(stringOption('rateLimits', raw));
  } catch (error) {
    if (error instanceof RateLimitPolicyError) throw new StackConfigError('rateLimits', error.message);
    throw error;
  }
}
