import type { BundleManifest } from '../bundles/bundle-manifest';
import { conflict } from '../errors/app-error';
import type { ModelType } from '../registry/model-type';
import { BackendSpecError, backendUrl, parseBackendSpec, type BackendSpec } from './backend-spec';
import { defaultBackendEnvName, INFERENCE_ENV, type InferenceConfig } from './inference-config';
import type { ModelParams } from './model-params';
import { onnxModelFiles } from './onnx/onnx-model-file';

export interface ModelIdentity {
  readonly name: string;
  readonly type: ModelType;
  readonly meta: Readonly<Record<string, unknown>>;
}

export const ALLOW_ENTRY = /^(https?):\/\/([^/:?#]+)(?::(\d+|\*))?(\/[^?#]*)?$/i;

/**
 * Whether a URL falls under an allow-list entry: same scheme and host, the entry's port (or any
 * with `:*`), and under the entry's path if it has one. Compared on parsed parts, never as string
 * prefixes, so `http://tfs@evil` or `http://tfs.evil` cannot pass for `http://tfs`.
 */
export function urlAllowed(url: string, allowList: readonly string[]): boolean {
  const target = new URL(url);
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return allowList.some((entry) => {
    const match = ALLOW_ENTRY.exec(entry.trim());
    if (!match) return false;
    const [, scheme = '', host = '', entryPort, entryPath] = match;
    if (`${scheme.toLowerCase()}:` !== target.protocol || host.toLowerCase() !== target.hostname) return false;
    const wantedPort = entryPort ?? (scheme.toLowerCase() === 'https' ? '443' : '80');
    if (wantedPort !== '*' && wantedPort !== port) return false;
    if (!entryPath || entryPath === '/') return true;
    const prefix = entryPath.replace(/\/+$/, '');
    return target.pathname === prefix || target.pathname.startsWith(`${prefix}/`);
  });
}

function fromMetadata(model: ModelIdentity, config: InferenceConfig): BackendSpec {
  let spec: BackendSpec;
  try {
    spec = parseBackendSpec(model.meta.backend, model.name);
  } catch (error) {
    if (error instanceof BackendSpecError) throw conflict('invalid_backend', `Model '${model.name}' names a backend in meta.backend that ${error.message}`);
    throw error;
  }
  const url = backendUrl(spec);
  if (url !== undefined && !urlAllowed(url, config.allowedBackendUrls)) {
    throw conflict('backend_not_allowed',
      `Model '${model.name}' names a ${spec.kind} backend at an address this deployment does not allow (the operator lists allowed ones in ${INFERENCE_ENV.allowedBackendUrls})`);
  }
  if (spec.kind === 'sagemaker' && config.allowedSageMakerEndpoints && !config.allowedSageMakerEndpoints.includes(spec.endpoint)) {
    throw conflict('backend_not_allowed',
      `Model '${model.name}' names SageMaker endpoint '${spec.endpoint}', which this deployment does not allow (see ${INFERENCE_ENV.allowedSageMakerEndpoints})`);
  }
  return spec;
}

/**
 * The backend for a model: the one its metadata names (checked against the deployment's allow
 * lists), else the deployment's default for its type, else the built-in ONNX Runtime when the
 * bundle holds a .onnx file.
 */
export function selectBackend(model: ModelIdentity, manifest: BundleManifest, params: ModelParams, config: InferenceConfig): BackendSpec {
  if (model.meta.backend !== undefined && model.meta.backend !== null) return fromMetadata(model, config);
  const deploymentDefault = config.defaultBackends[model.type];
  if (deploymentDefault !== undefined) return parseBackendSpec(deploymentDefault, model.name);
  if (onnxModelFiles(manifest, params.modelFile)) return { kind: 'onnxruntime' };
  throw conflict('no_backend',
    `Model '${model.name}' (${model.type}) has no backend to run it: add an ONNX export (model.onnx) to its bundle, ` +
    `name a backend in its meta.backend, or have the operator set ${defaultBackendEnvName(model.type)}`);
}
