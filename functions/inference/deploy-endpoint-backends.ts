import { conflict } from '../errors/app-error';
import { isDeployEndpoint } from '../frameworks/deploy-settings';
import { parseBackendSpec, type BackendSpec } from './backend-spec';

/**
 * 409 backend_not_allowed for a meta.backend naming an endpoint MLHub deployed (deploy-settings.ts
 * isDeployEndpoint), checked before the allow-list, which cannot open it: when a model is created
 * or changed, and again at every prediction (a record written before this rule holds it still).
 */
export function refuseDeployEndpoint(modelName: string, spec: BackendSpec): void {
  if (spec.kind === 'sagemaker' && isDeployEndpoint(spec.endpoint)) {
    throw conflict('backend_not_allowed', `Model '${modelName}' names SageMaker endpoint '${spec.endpoint}' in meta.backend, which is a version's own deployment: it is reached only through that version (POST /model/{name}/versions/{n}/deploy), never through meta.backend`);
  }
}

/** The meta.backend of a model being created or changed, refused when it names a deployed version's endpoint; a spec that cannot be read is predict's to refuse, as before. */
export function checkMetaBackend(modelName: string, meta: Readonly<Record<string, unknown>> | undefined): void {
  const raw = meta?.backend;
  if (raw === undefined || raw === null) return;
  let spec: BackendSpec;
  try {
    spec = parseBackendSpec(raw, modelName);
  } catch {
    return;
  }
  refuseDeployEndpoint(modelName, spec);
}
