import { MAX_TIMER_MS, integerFromEnv } from '../platform/env-values';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_TYPES, type ModelType } from '../registry/model-type';
import { BackendRuleError, compileBackendRules, type BackendAssignment, type BackendRuleInput, type BackendRuleSources } from './backend-access';
import { BackendSpecError, parseBackendSpec } from './backend-spec';

/** Bounds on what one predict request may ask for; beyond them MLHub answers 413. */
export interface InputLimits {
  /** Numbers in a JSON input, all tensors together. */
  readonly maxInputElements: number;
  /** Bytes of an uploaded image. */
  readonly maxImageBytes: number;
  /** Width × height of an image once decoded (a small PNG can decode to gigabytes). */
  readonly maxImagePixels: number;
}

export interface InferenceConfig {
  /** How long a prediction may take, bundle download and backend call included, before a 504. */
  readonly deadlineMs: number;
  /** Where model files are unpacked, one folder per bundle sha256. Lambda can write only /tmp. */
  readonly modelCacheDir: string;
  /**
   * Most bytes of model files kept in modelCacheDir, least recently used bundles removed first
   * (model-file-cache.ts); a model whose files are larger cannot run here (409 model_too_large).
   */
  readonly modelCacheBytes: number;
  /**
   * Most bytes of memory the loaded ONNX Runtime sessions may take, each estimated as
   * SESSION_MEMORY_FACTOR times its model files; least recently used dropped first.
   */
  readonly sessionCacheBytes: number;
  readonly limits: InputLimits;
  /** Per model type, the backend used when a model's metadata names none (raw JSON, read per model). */
  readonly defaultBackends: Readonly<Partial<Record<ModelType, unknown>>>;
  /**
   * Backend URLs a model's own metadata may point at: shared entries, origins such as
   * `https://tfs.internal:8501` optionally with a path prefix, or `http://127.0.0.1:*` for any
   * port; and per-model patterns with `{model}` as one path segment
   * (`https://tfs.example.org/v1/models/{model}`). Anything else is refused, so a model owner
   * cannot make MLHub call arbitrary hosts, nor another model's backend (backend-access.ts).
   * Deployment defaults are trusted.
   */
  readonly allowedBackendUrls: readonly string[];
  /**
   * SageMaker endpoints a model's metadata may name: exact names (shared), and per-model patterns
   * such as `mlhub-torch-{model}`; undefined allows any (IAM has the last word).
   */
  readonly allowedSageMakerEndpoints?: readonly string[];
  /** Per model name, the owner's user id and the endpoint names and URL prefixes the operator assigned to that model alone. */
  readonly backendAssignments: Readonly<Record<string, BackendAssignment>>;
  /**
   * How long a warm function reuses which version a caller predicts with (and that they may):
   * the delay before a revoked grant or a new upload reaches predictions. 0 turns it off.
   */
  readonly lookupCacheMs: number;
}

export const INFERENCE_ENV = {
  deadlineMs: 'MLHUB_PREDICT_DEADLINE_MS',
  modelCacheDir: 'MLHUB_MODEL_CACHE_DIR',
  modelCacheBytes: 'MLHUB_MODEL_CACHE_BYTES',
  sessionCacheBytes: 'MLHUB_ONNX_SESSION_CACHE_BYTES',
  maxInputElements: 'MLHUB_PREDICT_MAX_ELEMENTS',
  maxImageBytes: 'MLHUB_PREDICT_MAX_IMAGE_BYTES',
  maxImagePixels: 'MLHUB_PREDICT_MAX_IMAGE_PIXELS',
  allowedBackendUrls: 'MLHUB_BACKEND_URL_ALLOWLIST',
  allowedSageMakerEndpoints: 'MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST',
  backendAssignments: 'MLHUB_BACKEND_ASSIGNMENTS',
  lookupCacheMs: 'MLHUB_PREDICT_LOOKUP_CACHE_MS',
} as const;

/** `MLHUB_BACKEND_TENSORFLOW`, `MLHUB_BACKEND_PYTORCH`, `MLHUB_BACKEND_KERAS`, `MLHUB_BACKEND_SCIKITLEARN`, `MLHUB_BACKEND_ONNX`. */
export const defaultBackendEnvName = (type: ModelType): string => `MLHUB_BACKEND_${type.toUpperCase()}`;

export const DEFAULT_INPUT_LIMITS: InputLimits = {
  maxInputElements: 1_000_000,
  maxImageBytes: 4 * 1024 * 1024,
  maxImagePixels: 4096 * 4096,
};

export const DEFAULT_LOOKUP_CACHE_MS = 5000;

const GiB = 1024 ** 3;

/**
 * Room for model files: 3 GiB, under the 4 GB (4096 MiB) of /tmp the stack gives the predict
 * functions (lib/functions/inference-runtime.ts), leaving a gigabyte for everything else there.
 */
export const DEFAULT_MODEL_CACHE_BYTES = 3 * GiB;

/** Memory for loaded sessions: half of the predict functions' 2048 MB, the rest for Node, inputs and outputs. */
export const DEFAULT_SESSION_CACHE_BYTES = 1 * GiB;

/**
 * A loaded session's memory, estimated from its model files: ONNX Runtime holds the weights, and
 * its CPU arena and optimised graph take about as much again.
 */
export const SESSION_MEMORY_FACTOR = 2;

/** The count setting the byte budget replaced: refused, so that a deployment setting it learns of the change. */
const REPLACED_SESSION_CACHE_SIZE = 'MLHUB_ONNX_SESSION_CACHE_SIZE';

/** Under API Gateway's 30 s integration timeout, so the caller gets MLHub's 504 rather than the gateway's. */
export const DEFAULT_DEADLINE_MS = 25_000;

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);

function defaultBackends(env: NodeJS.ProcessEnv): Partial<Record<ModelType, unknown>> {
  const defaults: Partial<Record<ModelType, unknown>> = {};
  for (const type of MODEL_TYPES) {
    const name = defaultBackendEnvName(type);
    const raw = env[name]?.trim();
    if (!raw) continue;
    let value: unknown = raw;
    if (raw.startsWith('{')) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new Error(`Environment variable ${name} is not valid JSON`);
      }
    }
    try {
      // Checked now so a bad deployment fails at cold start, not on some later request.
      parseBackendSpec(value, 'model');
    } catch (error) {
      if (error instanceof BackendSpecError) throw new Error(`Environment variable ${name}: the backend ${error.message}`);
      throw error;
    }
    defaults[type] = value;
  }
  return defaults;
}

/** The variables the backend rules come from, as messages name them. */
export const BACKEND_RULE_ENV: BackendRuleSources = {
  urls: INFERENCE_ENV.allowedBackendUrls,
  endpoints: INFERENCE_ENV.allowedSageMakerEndpoints,
  assignments: INFERENCE_ENV.backendAssignments,
};

export const backendRuleInput = (config: InferenceConfig): BackendRuleInput => ({
  urls: config.allowedBackendUrls,
  ...(config.allowedSageMakerEndpoints ? { endpoints: config.allowedSageMakerEndpoints } : {}),
  assignments: config.backendAssignments,
});

/**
 * MLHUB_BACKEND_ASSIGNMENTS: a JSON object `{"<model name>": {"owner": "<user id>", "backends": ["<endpoint name>" | "<url>", …]}}`;
 * unset or empty: none. Each entry's shape is checked in backend-access.ts (the list alone, the
 * form before owners, is refused).
 */
function backendAssignments(env: NodeJS.ProcessEnv): Record<string, BackendAssignment> {
  const name = INFERENCE_ENV.backendAssignments;
  const raw = env[name]?.trim();
  if (!raw) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`Environment variable ${name} is not valid JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`Environment variable ${name}: expected a JSON object such as {"mnist": {"owner": "<user id>", "backends": ["mnist-prod", "https://tfs.example.org/v1/models/mnist"]}}`);
  }
  return value as Record<string, BackendAssignment>;
}

export function loadInferenceConfig(env: NodeJS.ProcessEnv = process.env): InferenceConfig {
  const endpoints = env[INFERENCE_ENV.allowedSageMakerEndpoints];
  if (env[REPLACED_SESSION_CACHE_SIZE] !== undefined) {
    throw new Error(`Environment variable ${REPLACED_SESSION_CACHE_SIZE} is no longer read: the session cache is bounded by memory, set ${INFERENCE_ENV.sessionCacheBytes} (bytes) instead`);
  }
  const config = readInferenceConfig(env, endpoints);
  try {
    // Read now, so that conflicting rules stop a cold start (or npm start), not some later prediction.
    compileBackendRules(backendRuleInput(config), BACKEND_RULE_ENV);
  } catch (error) {
    if (error instanceof BackendRuleError) throw new Error(`Environment variable ${error.message}`);
    throw error;
  }
  return config;
}

function readInferenceConfig(env: NodeJS.ProcessEnv, endpoints: string | undefined): InferenceConfig {
  return {
    deadlineMs: integerFromEnv(env, INFERENCE_ENV.deadlineMs, DEFAULT_DEADLINE_MS, { max: MAX_TIMER_MS }),
    // One folder per user: /tmp is shared on a workstation, and cached model files are trusted. Not
    // one per MLHub, which a cache sharing it would evict from: npm start gives each data folder
    // its own (local/runtime.ts), and the stack names Lambda's /tmp, which is one instance's.
    modelCacheDir: env[INFERENCE_ENV.modelCacheDir] || join(tmpdir(), `mlhub-models-${process.getuid?.() ?? 'user'}`),
    modelCacheBytes: integerFromEnv(env, INFERENCE_ENV.modelCacheBytes, DEFAULT_MODEL_CACHE_BYTES),
    sessionCacheBytes: integerFromEnv(env, INFERENCE_ENV.sessionCacheBytes, DEFAULT_SESSION_CACHE_BYTES),
    limits: {
      maxInputElements: integerFromEnv(env, INFERENCE_ENV.maxInputElements, DEFAULT_INPUT_LIMITS.maxInputElements),
      maxImageBytes: integerFromEnv(env, INFERENCE_ENV.maxImageBytes, DEFAULT_INPUT_LIMITS.maxImageBytes),
      maxImagePixels: integerFromEnv(env, INFERENCE_ENV.maxImagePixels, DEFAULT_INPUT_LIMITS.maxImagePixels),
    },
    defaultBackends: defaultBackends(env),
    allowedBackendUrls: list(env[INFERENCE_ENV.allowedBackendUrls]),
    backendAssignments: backendAssignments(env),
    lookupCacheMs: integerFromEnv(env, INFERENCE_ENV.lookupCacheMs, DEFAULT_LOOKUP_CACHE_MS, { min: 0, max: MAX_TIMER_MS }),
    ...(endpoints === undefined || endpoints.trim() === '*' ? {} : { allowedSageMakerEndpoints: list(endpoints) }),
  };
}
