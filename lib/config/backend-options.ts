/** The backend options (modelBackends, backendUrlAllowlist, backendAssignments): their types, readers, and how they agree. */
import { BackendRuleError, compileBackendRules, URL_ENTRY, type BackendAssignment } from '../../functions/inference/backend-access';
import { BackendSpecError, modelAddress, parseBackendSpec, type BackendSpec } from '../../functions/inference/backend-spec';
import { MODEL_TYPES, type ModelType } from '../../functions/registry/model-type';
import { fromJsonText, StackConfigError, stringOption } from './option-readers';
import type { StackConfig, StackOption } from './stack-config';

/**
 * What the stack knows about one model type's backends. Given in `modelBackends` as the type's
 * default backend, written as a model's `meta.backend` is (functions/inference/backend-spec.ts),
 * with the SageMaker endpoints the predict functions may invoke beside it:
 *   {"kind": "tfserving", "url": "https://tfs.example.org", "model": "{model}"}
 *   {"kind": "sagemaker", "endpoint": "torch-{model}", "sagemakerEndpointArns": ["arn:aws:sagemaker:…:endpoint/torch-*"]}
 *   {"sagemakerEndpointArns": ["arn:aws:sagemaker:…:endpoint/keras-prod"]}   (no default: models name their endpoint)
 *   "onnxruntime"
 */
export interface ModelBackend {
  /** The type's default backend, exactly as the engine reads it from MLHUB_BACKEND_<TYPE>: a kind, or a spec object. */
  readonly defaultBackend?: string | Readonly<Record<string, unknown>>;
  /** SageMaker endpoint ARNs (a `*` allowed in the name) the predict functions may invoke: `sagemaker:InvokeEndpoint` is granted on exactly these. */
  readonly sagemakerEndpointArns: readonly string[];
}

export type ModelBackends = Readonly<Partial<Record<ModelType, ModelBackend>>>;

/** Per model name, its owner's user id and the SageMaker endpoint names and backend URL prefixes the operator gave that model alone. */
export type BackendAssignments = Readonly<Record<string, BackendAssignment>>;

const SAGEMAKER_ENDPOINT_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:endpoint\/[A-Za-z0-9*-]+$/;

/** The endpoint name of a SageMaker endpoint ARN pattern. */
export const endpointNameOf = (arn: string): string => arn.slice(arn.indexOf(':endpoint/') + ':endpoint/'.length);

/** IAM's wildcard matching, for the names in endpoint ARNs (which hold no `?`). */
const globMatches = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

function parseEndpointArns(type: string, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new StackConfigError('modelBackends', `${type}: "sagemakerEndpointArns" must be a non-empty array`);
  for (const arn of raw) {
    if (typeof arn !== 'string' || !SAGEMAKER_ENDPOINT_ARN.test(arn)) {
      throw new StackConfigError('modelBackends', `${type}: '${String(arn)}' is not a SageMaker endpoint ARN (arn:aws:sagemaker:<region>:<account>:endpoint/<name>, '*' allowed in the name)`);
    }
    // SageMaker writes endpoint names in lowercase in its ARNs, and IAM compares them as written.
    if (endpointNameOf(arn) !== endpointNameOf(arn).toLowerCase()) {
      throw new StackConfigError('modelBackends', `${type}: '${arn}' would never match: SageMaker endpoint ARNs carry the name in lowercase`);
    }
  }
  return [...new Set(raw as string[])];
}

/**
 * Whether every endpoint a default SageMaker backend can name is among the granted ARNs. `{model}`
 * stands for any model name, so it must fall under a `*` of the same ARN.
 */
function endpointGranted(endpoint: string, arns: readonly string[]): boolean {
  const name = endpoint.toLowerCase().replaceAll('{model}', '*');
  return arns.some((arn) => globMatches(endpointNameOf(arn), name));
}

/** Checked as the engine checks MLHUB_BACKEND_<TYPE> at cold start, so a bad value stops the deploy instead. */
function checkedSpec(type: string, raw: unknown): BackendSpec {
  try {
    return parseBackendSpec(raw, 'model');
  } catch (error) {
    if (error instanceof BackendSpecError) throw new StackConfigError('modelBackends', `${type}: the backend ${error.message}`);
    throw error;
  }
}

function parseDefaultBackend(type: string, raw: string | Record<string, unknown>, arns: readonly string[]): ModelBackend['defaultBackend'] {
  if (typeof raw === 'object' && raw.kind === undefined && raw.url !== undefined) {
    throw new StackConfigError('modelBackends', `${type}: say which protocol the server at "url" speaks with "kind": tfserving, torchserve, oip or tfaas`);
  }
  if (checkedSpec(type, raw).kind === 'sagemaker') {
    const endpoint = typeof raw === 'object' ? String(raw.endpoint) : '';
    if (arns.length === 0 || !endpointGranted(endpoint, arns)) {
      throw new StackConfigError('modelBackends', `${type}: the default SageMaker endpoint '${endpoint}' must fall under one of its "sagemakerEndpointArns" (with '*' where the name holds {model}), or the functions could not invoke it`);
    }
  }
  return raw;
}

function parseBackend(type: string, raw: unknown): ModelBackend {
  if (typeof raw === 'string') return { defaultBackend: parseDefaultBackend(type, raw.trim(), []), sagemakerEndpointArns: [] };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StackConfigError('modelBackends', `${type}: expected a backend such as {"kind": "tfserving", "url": "https://…"}, {"sagemakerEndpointArns": […]}, or a kind such as "onnxruntime"`);
  }
  const { sagemakerEndpointArns: rawArns, ...backend } = raw as Record<string, unknown>;
  const arns = rawArns === undefined ? [] : parseEndpointArns(type, rawArns);
  if (Object.keys(backend).length === 0) {
    if (arns.length === 0) throw new StackConfigError('modelBackends', `${type}: give a default backend ("kind": …) or "sagemakerEndpointArns"`);
    return { sagemakerEndpointArns: arns };
  }
  return { defaultBackend: parseDefaultBackend(type, backend, arns), sagemakerEndpointArns: arns };
}

export function parseModelBackends(raw: unknown): ModelBackends {
  const value = fromJsonText(raw);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new StackConfigError('modelBackends', 'expected a JSON object keyed by model type');
  }
  const backends: Partial<Record<ModelType, ModelBackend>> = {};
  for (const [type, entry] of Object.entries(value)) {
    if (!(MODEL_TYPES as readonly string[]).includes(type)) {
      throw new StackConfigError('modelBackends', `unknown model type '${type}'; use one of ${MODEL_TYPES.join(', ')}`);
    }
    backends[type as ModelType] = parseBackend(type, entry);
  }
  return backends;
}

export function parseBackendUrlAllowlist(raw: unknown): readonly string[] {
  const list = fromJsonText(raw);
  const items = typeof list === 'string' ? list.split(',').map((item) => item.trim()).filter((item) => item !== '') : list;
  if (!Array.isArray(items)) throw new StackConfigError('backendUrlAllowlist', 'expected a comma-separated list or a JSON array of URLs');
  return [...new Set(items.map((item) => {
    const entry = stringOption('backendUrlAllowlist', item);
    // The entry's shape as the engine reads it (functions/inference/backend-access.ts); how entries sit together is checked in readStackConfig.
    if (!URL_ENTRY.test(entry)) {
      throw new StackConfigError('backendUrlAllowlist', `'${entry}' is not an origin such as https://tfs.example.org, optionally with a port (or :* for any) and a path prefix, or a per-model pattern such as https://tfs.example.org/v1/models/{model}`);
    }
    return entry;
  }))];
}

export function parseBackendAssignments(raw: unknown): BackendAssignments {
  const value = fromJsonText(raw);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new StackConfigError('backendAssignments', 'expected a JSON object such as {"mnist": {"owner": "<user id>", "backends": ["mnist-prod", "https://tfs.example.org/v1/models/mnist"]}}');
  }
  try {
    // Each entry's own shape; how the entries sit with the other options is checked in readStackConfig.
    compileBackendRules({ urls: [], assignments: value as BackendAssignments }, { urls: 'backendUrlAllowlist', endpoints: 'modelBackends', assignments: 'backendAssignments' });
  } catch (error) {
    if (error instanceof BackendRuleError) throw new StackConfigError('backendAssignments', error.message.replace(/^backendAssignments: /, ''));
    throw error;
  }
  return value as BackendAssignments;
}

/**
 * The SageMaker endpoints the predict functions' endpoint list gives each model by its name:
 * the default endpoints that hold `{model}` (lib/functions/inference-runtime.ts).
 */
export function perModelEndpointPatterns(backends: ModelBackends): readonly string[] {
  return [...new Set(Object.values(backends).flatMap((backend) => {
    const spec = backend.defaultBackend;
    const endpoint = typeof spec === 'object' && spec.kind !== undefined ? spec.endpoint : undefined;
    return typeof endpoint === 'string' && endpoint.includes('{model}') && checkedSpec('model', spec).kind === 'sagemaker' ? [endpoint] : [];
  }))];
}

/**
 * The model addresses the default backends give each model by its name, as per-model URL
 * patterns: a TF Serving, TorchServe or Open Inference Protocol default whose `model` is the
 * model's name (`{model}`, or left out) serves every model at `<url>/<protocol path>/<name>`
 * (`https://tfserving.example.org/v1/models/{model}`). Listed with backendUrlAllowlist, they let
 * a model name its own address there, and make a shared entry that would open another's refused.
 */
export function perModelUrlPatterns(backends: ModelBackends): readonly string[] {
  return [...new Set(Object.values(backends).flatMap((backend) => {
    const raw = backend.defaultBackend;
    if (typeof raw !== 'object' || (raw.model !== undefined && raw.model !== '{model}')) return [];
    // TFaaS takes its model in the body: its URL is no one model's address.
    const kind = checkedSpec('model', raw).kind;
    if (kind !== 'tfserving' && kind !== 'torchserve' && kind !== 'oip') return [];
    const address = modelAddress(parseBackendSpec(raw, '{model}'));
    return address === undefined ? [] : [address.replace(encodeURIComponent('{model}'), '{model}')];
  }))];
}

/**
 * MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST's entries (lib/functions/inference-runtime.ts): the exact
 * ARN names no assignment gives a model, then the `{model}` default endpoints.
 */
export function sharedAndPerModelEndpoints(backends: ModelBackends, assignments: BackendAssignments): readonly string[] {
  const assigned = new Set(Object.values(assignments).flatMap((assignment) => assignment.backends));
  const exact = sagemakerEndpointArns(backends).map(endpointNameOf).filter((name) => !name.includes('*') && !assigned.has(name));
  return [...new Set([...exact, ...perModelEndpointPatterns(backends)])];
}

/**
 * The backend options agree, as the predict functions will read them (functions/inference/
 * backend-access.ts): no shared URL or endpoint overlaps a `{model}` pattern, and no assignment
 * covers what a pattern reserves for another model; an assigned endpoint falls under an ARN.
 */
export function checkBackendRules(config: StackConfig): void {
  const arns = sagemakerEndpointArns(config.modelBackends);
  const sources = { urls: 'backendUrlAllowlist', endpoints: 'modelBackends', assignments: 'backendAssignments' } as const;
  try {
    compileBackendRules({
      urls: [...config.backendUrlAllowlist, ...perModelUrlPatterns(config.modelBackends)],
      endpoints: sharedAndPerModelEndpoints(config.modelBackends, config.backendAssignments),
      assignments: config.backendAssignments,
    }, sources);
  } catch (error) {
    if (!(error instanceof BackendRuleError)) throw error;
    const option = (Object.values(sources) as StackOption[]).find((name) => error.message.startsWith(`${name}: `)) ?? 'backendAssignments';
    throw new StackConfigError(option, error.message.slice(option.length + 2));
  }
  for (const [model, { backends }] of Object.entries(config.backendAssignments)) {
    for (const endpoint of backends.filter((entry) => !/^https?:\/\//i.test(entry))) {
      if (!endpointGranted(endpoint, arns)) {
        throw new StackConfigError('backendAssignments', `model '${model}': the endpoint '${endpoint}' falls under no "sagemakerEndpointArns" of modelBackends, so the functions could not invoke it`);
      }
    }
  }
}

/** Every SageMaker endpoint ARN pattern configured for any model type. */
export function sagemakerEndpointArns(backends: ModelBackends): readonly string[] {
  return [...new Set(Object.values(backends).flatMap((backend) => backend.sagemakerEndpointArns))];
}
