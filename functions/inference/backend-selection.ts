import type { BundleManifest } from '../bundles/bundle-manifest';
import type { Deployment } from '../frameworks/deployment-records';
import { deployableFramework } from '../frameworks/serving-path';
import { conflict } from '../errors/app-error';
import type { ModelType } from '../registry/model-type';
import { backendAccess, compileBackendRules, type BackendRules } from './backend-access';
import { BackendSpecError, parseBackendSpec, type BackendSpec } from './backend-spec';
import { refuseDeployEndpoint } from './deploy-endpoint-backends';
import { BACKEND_RULE_ENV, backendRuleInput, defaultBackendEnvName, INFERENCE_ENV, type InferenceConfig } from './inference-config';
import type { ModelParams } from './model-params';
import { onnxModelFiles } from './onnx/onnx-model-file';

export interface ModelIdentity {
  readonly name: string;
  /** The owner's user id, as the model record holds it: backend assignments are for a name and an owner. Without it, no assignment applies. */
  readonly owner?: string;
  readonly type: ModelType;
  readonly meta: Readonly<Record<string, unknown>>;
}

export { urlAllowed } from './backend-access';

/** Each configuration's rules, read once: a warm function checks every prediction against them. */
const compiled = new WeakMap<InferenceConfig, BackendRules>();

function rulesOf(config: InferenceConfig): BackendRules {
  let rules = compiled.get(config);
  if (!rules) {
    rules = compileBackendRules(backendRuleInput(config), BACKEND_RULE_ENV);
    compiled.set(config, rules);
  }
  return rules;
}

/** How a refused backend is named to its owner: an endpoint by its name, an address never (it may be internal). */
const named = (spec: BackendSpec): string => (spec.kind === 'sagemaker' ? `SageMaker endpoint '${spec.endpoint}'` : `a ${spec.kind} backend at an address`);

function fromMetadata(model: ModelIdentity, config: InferenceConfig): BackendSpec {
  let spec: BackendSpec;
  try {
    spec = parseBackendSpec(model.meta.backend, model.name);
  } catch (error) {
    if (error instanceof BackendSpecError) throw conflict('invalid_backend', `Model '${model.name}' has a meta.backend that cannot be used: ${error.describe('meta.backend')}`);
    throw error;
  }
  refuseDeployEndpoint(model.name, spec);
  const access = backendAccess({ name: model.name, ...(model.owner === undefined ? {} : { owner: model.owner }) }, spec, rulesOf(config));
  if (access && !access.allowed) {
    const where = `Model '${model.name}' names ${named(spec)} in meta.backend`;
    switch (access.reason) {
      case 'reserved':
        throw conflict('backend_not_allowed', `${where}, which this deployment reserves for another model: a per-model pattern lets each model use only the backend named after it`);
      case 'unsafe':
        throw conflict('backend_not_allowed', `${where} whose path has an empty or dot segment, or hides '/' or '\\' in percent-encoding`);
      case 'unlisted':
        throw conflict('backend_not_allowed',
          `${where}, which this deployment does not allow: the operator lists shared backends and per-model patterns in ${spec.kind === 'sagemaker' ? INFERENCE_ENV.allowedSageMakerEndpoints : INFERENCE_ENV.allowedBackendUrls}, and assigns backends to a model of a given name and owner in ${INFERENCE_ENV.backendAssignments}`);
    }
  }
  return spec;
}

/** The version's own endpoint, MLHub's to trust: the one it deployed (functions/frameworks/version-deployments.ts). */
function deployedEndpoint(model: ModelIdentity, deployed: { readonly version?: number; readonly deployment?: Pick<Deployment, 'state' | 'endpoint' | 'reason'> }): BackendSpec | undefined {
  const deployment = deployed.deployment;
  if (!deployment) return undefined;
  if (deployment.state === 'in_service') return { kind: 'sagemaker', endpoint: deployment.endpoint, contentType: 'application/json', accept: 'application/json', jsonFormat: 'instances' };
  if (deployment.state === 'creating') {
    throw conflict('deployment_not_ready', `Version ${deployed.version} of model '${model.name}' is still being deployed; GET /model/${model.name}/versions/${deployed.version}/deploy says when it is in service`);
  }
  return undefined;
}

/**
 * The backend for a model: the version's own endpoint when it is deployed and in service (409
 * deployment_not_ready while it is being created; a failed or deleting one counts as none), then
 * the one its metadata names (checked against the deployment's rules in
 * backend-access.ts: a model reaches shared backends, its own by a per-model pattern, and those
 * assigned to its name and owner; anything else is 409 backend_not_allowed; an unusable spec is
 * 409 invalid_backend, naming the field, e.g. `meta.backend.url must not carry credentials`), else the deployment's default for
 * its type, else the built-in ONNX Runtime when the bundle holds a .onnx file.
 */
export function selectBackend(model: ModelIdentity, manifest: BundleManifest, params: ModelParams, config: InferenceConfig, deployed: { readonly version?: number; readonly deployment?: Pick<Deployment, 'state' | 'endpoint' | 'reason'> } = {}): BackendSpec {
  const endpoint = deployedEndpoint(model, deployed);
  if (endpoint) return endpoint;
  if (model.meta.backend !== undefined && model.meta.backend !== null) return fromMetadata(model, config);
  const deploymentDefault = config.defaultBackends[model.type];
  if (deploymentDefault !== undefined) return parseBackendSpec(deploymentDefault, model.name);
  if (onnxModelFiles(manifest, params.modelFile)) return { kind: 'onnxruntime' };
  const deployable = deployableFramework(manifest);
  if (!('reason' in deployable) && deployed.version !== undefined) {
    // A failed deployment is why it cannot run: its reason, not an invitation to deploy again.
    if (deployed.deployment?.state === 'failed') {
      throw conflict('no_backend', `Version ${deployed.version} of model '${model.name}' failed to deploy (${deployed.deployment.reason ?? 'no reason given'}); fix the bundle and push it again, or DELETE /model/${model.name}/versions/${deployed.version}/deploy and deploy again`);
    }
    throw conflict('no_backend', `Model '${model.name}' (${model.type}) has no backend to run it yet: its bundle is a ${deployable.framework} model, which runs once deployed (POST /model/${model.name}/versions/${deployed.version}/deploy, or mlhub deploy ${model.name}); or name a backend in its meta.backend, or have the operator set ${defaultBackendEnvName(model.type)}`);
  }
  throw conflict('no_backend',
    `Model '${model.name}' (${model.type}) has no backend to run it: add an ONNX export (model.onnx) to its bundle, ` +
    `name a backend in its meta.backend, or have the operator set ${defaultBackendEnvName(model.type)}`);
}
