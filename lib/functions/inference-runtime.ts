import { DEFAULT_DEADLINE_MS, defaultBackendEnvName, INFERENCE_ENV } from '../../functions/inference/inference-config';
import { MODEL_TYPES } from '../../functions/registry/model-type';
import { perModelUrlPatterns, sharedAndPerModelEndpoints, type BackendAssignments, type ModelBackends } from '../config/stack-config';

/**
 * Room in /tmp for unpacked model files (the engine keeps one folder per bundle sha256 there):
 * well above a function's default 512 MB, for ONNX models of a few GB.
 */
export const PREDICT_EPHEMERAL_STORAGE_MB = 4096;

/**
 * Bytes of model files the predict functions keep in /tmp (MLHUB_MODEL_CACHE_BYTES): all of it
 * but a gigabyte, for partly written files and anything else there. Also the largest model the
 * built-in runtime can run here, which the functions that check bundles are told.
 */
export const PREDICT_MODEL_CACHE_BYTES = (PREDICT_EPHEMERAL_STORAGE_MB - 1024) * 1024 ** 2;

/** The share of a predict function's memory its loaded ONNX sessions may take (MLHUB_ONNX_SESSION_CACHE_BYTES). */
const SESSION_MEMORY_SHARE = 0.5;

/** The only writable place in Lambda. */
export const LAMBDA_MODEL_CACHE_DIR = '/tmp/mlhub-models';

/** Kept back from the function's timeout, so the engine answers 504 itself, as JSON, before Lambda stops it. */
const DEADLINE_MARGIN_MS = 2000;

/** Lambda's limit on all of a function's environment variables together. */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** Left for the rest of the environment (table, bucket, issuer, NODE_OPTIONS…). */
const OTHER_ENVIRONMENT_ALLOWANCE = 1024;

export interface InferenceEnvironmentProps {
  readonly modelBackends: ModelBackends;
  readonly backendUrlAllowlist: readonly string[];
  readonly backendAssignments?: BackendAssignments;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

/**
 * The SageMaker endpoints a model's own `meta.backend` may name, as MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST
 * reads them (functions/inference/backend-access.ts): the exact names of the configured ARNs,
 * which any model may name unless backendAssignments gives the endpoint to a model (then only
 * that model may, through MLHUB_BACKEND_ASSIGNMENTS), and each default endpoint that holds
 * `{model}` (`mlhub-torch-{model}`), which gives each model the endpoint named after it and no
 * other. An ARN with a `*` only grants IAM: it never lets a model name an endpoint under it,
 * since that would let any owner name an endpoint deployed for another model. None at all when
 * nothing is configured, so such a model answers 409 (not allowed) rather than 502 (denied by IAM).
 */
export function sagemakerEndpointAllowlist(backends: ModelBackends, assignments: BackendAssignments = {}): string {
  return sharedAndPerModelEndpoints(backends, assignments).join(',');
}

/**
 * The inference configuration (functions/inference/inference-config.ts) of a function that runs
 * predictions, from the stack's options:
 * - modelBackends: each type's default backend as MLHUB_BACKEND_<TYPE>, exactly as given (a kind,
 *   or the spec's JSON); types with none fall back to the built-in ONNX Runtime;
 * - backendUrlAllowlist, and the per-model address of each default server (stack-config.ts
 *   perModelUrlPatterns): MLHUB_BACKEND_URL_ALLOWLIST (empty: models may name no URL of their own);
 * - the SageMaker ARNs and default endpoints of every type: MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST (see above);
 * - backendAssignments: MLHUB_BACKEND_ASSIGNMENTS, as JSON (unset when there are none);
 * - the model file cache in /tmp and its size, the sessions' memory budget (half the function's
 *   memory), and a deadline inside the function's timeout.
 */
export function inferenceEnvironment(props: InferenceEnvironmentProps): Record<string, string> {
  const environment: Record<string, string> = {
    [INFERENCE_ENV.modelCacheDir]: LAMBDA_MODEL_CACHE_DIR,
    [INFERENCE_ENV.modelCacheBytes]: String(PREDICT_MODEL_CACHE_BYTES),
    [INFERENCE_ENV.sessionCacheBytes]: String(Math.floor(props.memoryMb * 1024 ** 2 * SESSION_MEMORY_SHARE)),
    [INFERENCE_ENV.deadlineMs]: String(Math.min(DEFAULT_DEADLINE_MS, props.timeoutSeconds * 1000 - DEADLINE_MARGIN_MS)),
    [INFERENCE_ENV.allowedBackendUrls]: [...new Set([...props.backendUrlAllowlist, ...perModelUrlPatterns(props.modelBackends)])].join(','),
    [INFERENCE_ENV.allowedSageMakerEndpoints]: sagemakerEndpointAllowlist(props.modelBackends, props.backendAssignments),
  };
  if (props.backendAssignments && Object.keys(props.backendAssignments).length > 0) {
    environment[INFERENCE_ENV.backendAssignments] = JSON.stringify(props.backendAssignments);
  }
  for (const type of MODEL_TYPES) {
    const backend = props.modelBackends[type]?.defaultBackend;
    if (backend !== undefined) environment[defaultBackendEnvName(type)] = typeof backend === 'string' ? backend : JSON.stringify(backend);
  }
  const size = Object.entries(environment).reduce((total, [name, value]) => total + name.length + value.length, 0);
  if (size > LAMBDA_ENVIRONMENT_LIMIT - OTHER_ENVIRONMENT_ALLOWANCE) {
    throw new Error(`The inference configuration from modelBackends, backendUrlAllowlist and backendAssignments takes ${size} bytes of environment; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} for all of a function's variables: shorten them`);
  }
  return environment;
}
