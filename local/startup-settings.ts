import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { functionsTriggeredBy, type CatalogueFunction } from '../functions/catalogue/function-catalogue';
import { loadCorsOrigins } from '../functions/http/cors';
import { loadIdentityConfig } from '../functions/identity/identity-config';
import { INFERENCE_ENV, loadInferenceConfig } from '../functions/inference/inference-config';
import { ensurePrivateModelCache } from '../functions/inference/model-file-cache';
import { OBSERVABILITY_ENV } from '../functions/observability/observability-settings';
import { CONFIG_ENV, loadFunctionConfig } from '../functions/platform/function-config';
import { loadRateLimitPolicy } from '../functions/rate-limits/rate-limit-policy';
import { localCognitoEnvironment } from './cognito-endpoint';
import { localIntervalSeconds } from './events/schedule-timers';
import { LOCAL_METRICS_ENV } from './observability-environment';

/** A setting the local runtime cannot start with; its message is one line naming the variable. */
export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

/** Switches of `npm start` itself (local/start.ts): `on` or `off`, or unset for the default. */
export const START_SWITCHES = ['MLHUB_ACCESS_LOG', 'MLHUB_S3_REQUEST_LOG', 'MLHUB_DEMO_MODEL'] as const;

const POWERTOOLS_LOG_LEVEL = 'POWERTOOLS_LOG_LEVEL';

function oneOf(env: NodeJS.ProcessEnv, name: string, allowed: readonly string[]): void {
  const raw = env[name];
  if (raw === undefined || raw === '' || allowed.includes(raw)) return;
  throw new Error(`${name} must be ${allowed.slice(0, -1).map((value) => `'${value}'`).join(', ')} or '${allowed.at(-1)}', got '${raw}'`);
}

/**
 * Runs one loader; its failure becomes a one-line SettingError. The loaders name the variable at
 * fault themselves; where one may not (`name` given), the message is prefixed with it.
 */
async function check(read: () => unknown, name?: string): Promise<void> {
  try {
    await read();
  } catch (error) {
    const message = ((error as Error)?.message ?? String(error)).replace(/\s*\n\s*/g, ' ');
    throw new SettingError(name === undefined || message.includes(name) ? message : `${name}: ${message}`);
  }
}

/**
 * Reads, now, every setting the handlers would otherwise read on the request that first needs it,
 * with the very loaders they use, so that a bad value stops the local runtime at startup with one
 * line naming the variable instead of answering 500 (or silently doing something else) later:
 * the upload and bundle limits, MLHUB_RATE_LIMITS, the inference settings (deadline, caches, input
 * limits, default backends, allow-lists; the model cache folder is created and checked private),
 * the sign-in settings the runtime does not set itself (with the user pool and its local endpoint,
 * MLHUB_COGNITO_USER_POOL_ID and MLHUB_COGNITO_ENDPOINT, which go together), the CORS origins
 * (MLHUB_CORS_ORIGINS), the log format, metrics and log level, and each schedule's local interval
 * (MLHUB_SWEEP_SECONDS). Throws SettingError.
 */
export async function checkHandlerSettings(env: NodeJS.ProcessEnv, functions: readonly CatalogueFunction[]): Promise<void> {
  // The table and bucket are the runtime's own; the rest of the function configuration is the user's.
  const functionEnv = { ...env, [CONFIG_ENV.table]: 'local', [CONFIG_ENV.bucket]: 'local' };
  await check(() => loadFunctionConfig(functionEnv));
  await check(() => loadRateLimitPolicy(env), CONFIG_ENV.rateLimits);
  await check(() => loadInferenceConfig(env));
  await check(() => ensurePrivateModelCache(loadInferenceConfig(env).modelCacheDir), INFERENCE_ENV.modelCacheDir);
  await check(() => loadIdentityConfig(env));
  await check(() => loadCorsOrigins(env));
  await check(() => localCognitoEnvironment(env));
  await check(() => oneOf(env, OBSERVABILITY_ENV.logFormat, ['text', 'json']));
  await check(() => oneOf(env, LOCAL_METRICS_ENV, ['on', 'off']));
  // Powertools takes the level in capitals only, and falls back to INFO on anything else without a word.
  await check(() => oneOf(env, POWERTOOLS_LOG_LEVEL, Object.keys(LogLevelThreshold)));
  for (const fn of functionsTriggeredBy('schedule', functions)) await check(() => localIntervalSeconds(fn, env));
}

/** The switches `npm start` reads itself. Throws SettingError. */
export function checkStartSwitches(env: NodeJS.ProcessEnv): void {
  for (const name of START_SWITCHES) {
    try {
      oneOf(env, name, ['on', 'off']);
    } catch (error) {
      throw new SettingError((error as Error).message);
    }
  }
}
