/**
 * Which backend runs a model, and how to reach it. A model names its own in `meta.backend`;
 * otherwise the deployment's default for the model's type applies (MLHUB_BACKEND_<TYPE>), and a
 * bundle holding a .onnx file runs in the built-in ONNX Runtime.
 *
 * The JSON shape, in a model's metadata or in the environment variable:
 *   {"kind": "onnxruntime"}
 *   {"kind": "sagemaker", "endpoint": "mnist-prod", "content_type": "application/json", "accept": "application/json"}
 *   {"kind": "tfserving", "url": "http://tfs:8501", "model": "mnist", "version": 3, "signature_name": "serving_default", "format": "instances"}
 *   {"kind": "torchserve", "url": "http://torchserve:8080", "model": "mnist", "version": "1.0"}
 *   {"kind": "oip", "url": "http://mlserver:8080", "model": "iris", "input_name": "input-0", "datatype": "FP32"}
 *   {"kind": "tfaas", "url": "http://tfaas:8083"}
 * `model` defaults to the MLHub model's name; `{model}` inside `model` or `endpoint` is replaced by it.
 * Which backends a model's own `meta.backend` may name is decided in backend-access.ts.
 */
export type BackendKind = 'onnxruntime' | 'sagemaker' | 'tfserving' | 'torchserve' | 'oip' | 'tfaas';

export interface OnnxRuntimeSpec {
  readonly kind: 'onnxruntime';
}

export interface SageMakerSpec {
  readonly kind: 'sagemaker';
  readonly endpoint: string;
  /** What MLHub sends: application/json (default), text/csv, or an image type to pass images through untouched. */
  readonly contentType: string;
  readonly accept?: string;
  /** How JSON rows are wrapped: `{"instances": rows}` (TF, PyTorch and most containers) or a bare array. */
  readonly jsonFormat: 'instances' | 'array';
  readonly targetVariant?: string;
}

export interface TfServingSpec {
  readonly kind: 'tfserving';
  readonly url: string;
  readonly model: string;
  readonly version?: string;
  readonly signatureName?: string;
  /** Row (`instances`) or columnar (`inputs`) request format; unset picks by input form. */
  readonly format?: 'instances' | 'inputs';
}

export interface TorchServeSpec {
  readonly kind: 'torchserve';
  readonly url: string;
  readonly model: string;
  readonly version?: string;
}

export interface OpenInferenceSpec {
  readonly kind: 'oip';
  readonly url: string;
  readonly model: string;
  readonly version?: string;
  readonly inputName?: string;
  readonly datatype: string;
}

export interface TfaasSpec {
  readonly kind: 'tfaas';
  readonly url: string;
  readonly model: string;
}

export type BackendSpec = OnnxRuntimeSpec | SageMakerSpec | TfServingSpec | TorchServeSpec | OpenInferenceSpec | TfaasSpec;

/** Spellings accepted for `kind`, compared lowercased without spaces, dashes, dots or underscores. */
const KIND_ALIASES: Readonly<Record<string, BackendKind>> = {
  onnx: 'onnxruntime', onnxruntime: 'onnxruntime', ort: 'onnxruntime', builtin: 'onnxruntime',
  sagemaker: 'sagemaker', awssagemaker: 'sagemaker',
  tfserving: 'tfserving', tensorflowserving: 'tfserving',
  torchserve: 'torchserve',
  oip: 'oip', v2: 'oip', kserve: 'oip', kservev2: 'oip', mlserver: 'oip', triton: 'oip', openinferenceprotocol: 'oip',
  tfaas: 'tfaas',
};

export const BACKEND_KINDS: readonly BackendKind[] = ['onnxruntime', 'sagemaker', 'tfserving', 'torchserve', 'oip', 'tfaas'];

const OIP_DATATYPES = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64']);

/**
 * Thrown for a spec that cannot be used; the caller decides whose mistake it is. `message` names
 * the field in quotes (`"url" must not carry credentials`); `describe` names it under where the
 * spec came from (`meta.backend.url must not carry credentials`).
 */
export class BackendSpecError extends Error {
  /** `field`: the spec's key at fault, or undefined when the spec as a whole is; `problem`: what is wrong, after the field's name. */
  constructor(readonly field: string | undefined, readonly problem: string) {
    super(field === undefined ? problem : `"${field}" ${problem}`);
  }

  /** The error as a sentence about the spec at `where` (`meta.backend`): `meta.backend.url must not carry credentials`. */
  describe(where: string): string {
    return `${where}${this.field === undefined ? '' : `.${this.field}`} ${this.problem}`;
  }
}

function text(raw: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') {
    if (required) throw new BackendSpecError(key, 'is required');
    return undefined;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new BackendSpecError(key, 'must be a string');
  return value;
}

function httpUrl(raw: Record<string, unknown>): string {
  const value = text(raw, 'url', true) ?? '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BackendSpecError('url', 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BackendSpecError('url', 'must be http or https');
  if (url.username || url.password) throw new BackendSpecError('url', 'must not carry credentials');
  if (url.search || url.hash) throw new BackendSpecError('url', 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

/** Path segments the URL parser would fold away, taking a request out of the model's address. */
const DOT_SEGMENTS = new Set(['.', '..']);

function pathSegment(key: string, value: string | undefined): string | undefined {
  if (value !== undefined && DOT_SEGMENTS.has(value)) throw new BackendSpecError(key, `must not be "${value}"`);
  return value;
}

const named = (template: string | undefined, modelName: string): string | undefined => template?.replaceAll('{model}', modelName);

function parseKind(value: unknown): BackendKind {
  const kind = typeof value === 'string' ? KIND_ALIASES[value.toLowerCase().replace(/[\s._-]+/g, '')] : undefined;
  if (!kind) throw new BackendSpecError('kind', `must be one of ${BACKEND_KINDS.join(', ')}`);
  return kind;
}

/**
 * Reads a backend spec from JSON (a model's `meta.backend` or a deployment default). A bare string
 * is taken as the kind, which is enough for the built-in ONNX Runtime.
 */
export function parseBackendSpec(raw: unknown, modelName: string): BackendSpec {
  const object: Record<string, unknown> = typeof raw === 'string' ? { kind: raw } : (raw as Record<string, unknown>);
  if (typeof object !== 'object' || object === null || Array.isArray(object)) throw new BackendSpecError(undefined, 'must be an object with a "kind"');
  const kind = parseKind(object.kind);
  const model = pathSegment('model', named(text(object, 'model', false), modelName) ?? modelName) as string;
  switch (kind) {
    case 'onnxruntime':
      return { kind };
    case 'sagemaker': {
      const endpoint = named(text(object, 'endpoint', true), modelName) ?? '';
      if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/.test(endpoint) || endpoint.length > 63) throw new BackendSpecError('endpoint', 'is not a SageMaker endpoint name');
      const jsonFormat = text(object, 'json_format', false) ?? 'instances';
      if (jsonFormat !== 'instances' && jsonFormat !== 'array') throw new BackendSpecError('json_format', 'must be "instances" or "array"');
      const accept = text(object, 'accept', false);
      const targetVariant = text(object, 'target_variant', false);
      return {
        kind, endpoint, jsonFormat,
        contentType: (text(object, 'content_type', false) ?? 'application/json').toLowerCase(),
        ...(accept ? { accept } : {}),
        ...(targetVariant ? { targetVariant } : {}),
      };
    }
    case 'tfserving': {
      const format = text(object, 'format', false);
      if (format !== undefined && format !== 'instances' && format !== 'inputs') throw new BackendSpecError('format', 'must be "instances" or "inputs"');
      const version = pathSegment('version', text(object, 'version', false));
      const signatureName = text(object, 'signature_name', false);
      return {
        kind, url: httpUrl(object), model,
        ...(version ? { version } : {}),
        ...(signatureName ? { signatureName } : {}),
        ...(format ? { format } : {}),
      };
    }
    case 'torchserve': {
      const version = pathSegment('version', text(object, 'version', false));
      return { kind, url: httpUrl(object), model, ...(version ? { version } : {}) };
    }
    case 'oip': {
      const datatype = (text(object, 'datatype', false) ?? 'FP32').toUpperCase();
      if (!OIP_DATATYPES.has(datatype)) throw new BackendSpecError('datatype', `must be one of ${[...OIP_DATATYPES].join(', ')}`);
      const version = pathSegment('version', text(object, 'version', false));
      const inputName = text(object, 'input_name', false);
      return { kind, url: httpUrl(object), model, datatype, ...(version ? { version } : {}), ...(inputName ? { inputName } : {}) };
    }
    case 'tfaas':
      return { kind, url: httpUrl(object), model };
  }
}

/** The URL a spec reaches, if it reaches one over HTTP. */
export const backendUrl = (spec: BackendSpec): string | undefined => ('url' in spec ? spec.url : undefined);

/** The path under a server's URL where each protocol serves one model; TFaaS takes its model in the body. */
const MODEL_PATHS: Readonly<Record<'tfserving' | 'torchserve' | 'oip', string>> = {
  tfserving: '/v1/models/',
  torchserve: '/predictions/',
  oip: '/v2/models/',
};

/**
 * What a remote spec reaches: the model's own URL on its server, of which every request the
 * backend sends is the URL or a URL under it (`{url}/v1/models/{m}` for TF Serving,
 * `{url}/predictions/{m}` for TorchServe, `{url}/v2/models/{m}` for the Open Inference Protocol;
 * `model` percent-encoded as one path segment), or the server's URL for TFaaS, which picks the
 * model from the request body. Undefined for specs that call no URL.
 */
export function modelAddress(spec: BackendSpec): string | undefined {
  switch (spec.kind) {
    case 'tfserving':
    case 'torchserve':
    case 'oip':
      return `${spec.url}${MODEL_PATHS[spec.kind]}${encodeURIComponent(spec.model)}`;
    case 'tfaas':
      return spec.url;
    default:
      return undefined;
  }
}
