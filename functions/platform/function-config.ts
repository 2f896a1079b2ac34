import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from '../bundles/bundle-limits';
import { DEFAULT_MODEL_CACHE_BYTES, INFERENCE_ENV } from '../inference/inference-config';
import { integerFromEnv } from './env-values';

/**
 * What a function needs to know about its deployment, all from environment variables: the CDK
 * stack sets them in the cloud, the local runtime sets them on one machine. Endpoints and
 * credentials come from the AWS SDK's own variables (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3…).
 */
export interface FunctionConfig {
  readonly tableName: string;
  readonly bucketName: string;
  /** Path-style S3 addressing, for S3 servers that are not reached by virtual-host names. */
  readonly s3ForcePathStyle: boolean;
  readonly bundleLimits: BundleLimits;
  readonly uploads: UploadLimits;
}

export interface UploadLimits {
  /** The largest bundle an upload session may declare: checked before any byte moves. Never more than `bundleLimits.maxUnpackedBytes`. */
  readonly maxBundleBytes: number;
  /** How long a presigned URL stays valid. */
  readonly presignSeconds: number;
  /**
   * How long an upload session may stay open, in seconds (S3 aborts incomplete multipart uploads
   * after a day); its pending version is aborted by the sweep after that unless its bytes arrived.
   */
  readonly sessionSeconds: number;
}

export const CONFIG_ENV = {
  table: 'MLHUB_TABLE',
  bucket: 'MLHUB_BUCKET',
  s3ForcePathStyle: 'MLHUB_S3_FORCE_PATH_STYLE',
  maxBundleEntries: 'MLHUB_MAX_BUNDLE_ENTRIES',
  maxUnpackedBytes: 'MLHUB_MAX_UNPACKED_BYTES',
  /** The predict function's model cache size, which bundle checks compare model files with (the same variable the engine reads). */
  builtinModelBytes: INFERENCE_ENV.modelCacheBytes,
  maxBundleBytes: 'MLHUB_MAX_BUNDLE_BYTES',
  presignSeconds: 'MLHUB_PRESIGN_SECONDS',
  sessionSeconds: 'MLHUB_UPLOAD_SESSION_SECONDS',
  /** Requests per caller and window, by class (functions/rate-limits/rate-limit-policy.ts); unset: off. */
  rateLimits: 'MLHUB_RATE_LIMITS',
  /** The function createModel hands the seed's image form to (functions/handlers/create-model.ts). */
  predictFunction: 'MLHUB_PREDICT_FUNCTION',
} as const;

/**
 * What one finalize run can stream in its 15 minutes at about 100 MiB/s, with room to spare; the
 * default applies only as far as the unpacked limit allows (see loadFunctionConfig).
 */
export const DEFAULT_MAX_BUNDLE_BYTES = 50 * 1024 ** 3;
export const DEFAULT_PRESIGN_SECONDS = 900;
/** SigV4 presigned URLs live a week at most: the SDK refuses to sign a longer one. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** S3 aborts incomplete multipart uploads after a day (the bucket's lifecycle rule), so no session outlives that. */
export const DEFAULT_SESSION_SECONDS = 24 * 3600;
/** S3's day is also the most a session may ask for. */
export const MAX_SESSION_SECONDS = DEFAULT_SESSION_SECONDS;

/**
 * The predict function's model cache size in bytes, as this function is told it
 * (MLHUB_MODEL_CACHE_BYTES; the engine's default when unset): what bundle checks and version
 * views compare model files with.
 */
export const builtinModelBytes = (env: NodeJS.ProcessEnv = process.env): number =>
  integerFromEnv(env, CONFIG_ENV.builtinModelBytes, DEFAULT_MODEL_CACHE_BYTES);

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

/**
 * The function configuration from the environment, each number checked. MLHUB_MAX_BUNDLE_BYTES
 * may not exceed MLHUB_MAX_UNPACKED_BYTES (a gzip stream holds at least what it inflates to, but
 * for a few bytes of framing, so a larger bundle would be refused only after its whole upload);
 * unset, it is the smaller of DEFAULT_MAX_BUNDLE_BYTES and the unpacked limit. Throws naming the
 * variable at fault.
 */
export function loadFunctionConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const maxUnpackedBytes = integerFromEnv(env, CONFIG_ENV.maxUnpackedBytes, DEFAULT_BUNDLE_LIMITS.maxUnpackedBytes);
  const maxBundleBytes = integerFromEnv(env, CONFIG_ENV.maxBundleBytes, Math.min(DEFAULT_MAX_BUNDLE_BYTES, maxUnpackedBytes));
  if (maxBundleBytes > maxUnpackedBytes) {
    throw new Error(`Environment variable ${CONFIG_ENV.maxBundleBytes} (${maxBundleBytes}) must not exceed ${CONFIG_ENV.maxUnpackedBytes} (${maxUnpackedBytes}): such a bundle would be refused only after its whole upload`);
  }
  return {
    tableName: required(env, CONFIG_ENV.table),
    bucketName: required(env, CONFIG_ENV.bucket),
    s3ForcePathStyle: env[CONFIG_ENV.s3ForcePathStyle] === 'true',
    bundleLimits: {
      maxEntries: integerFromEnv(env, CONFIG_ENV.maxBundleEntries, DEFAULT_BUNDLE_LIMITS.maxEntries),
      maxUnpackedBytes,
      maxBuiltinModelBytes: builtinModelBytes(env),
    },
    uploads: {
      maxBundleBytes,
      presignSeconds: integerFromEnv(env, CONFIG_ENV.presignSeconds, DEFAULT_PRESIGN_SECONDS, { max: MAX_PRESIGN_SECONDS }),
      sessionSeconds: integerFromEnv(env, CONFIG_ENV.sessionSeconds, DEFAULT_SESSION_SECONDS, { max: MAX_SESSION_SECONDS }),
    },
  };
}
