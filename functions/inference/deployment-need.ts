import { AppError } from '../errors/app-error';
import type { BundleManifest } from '../bundles/bundle-manifest';
import { selectBackend, type ModelIdentity } from './backend-selection';
import type { InferenceConfig } from './inference-config';
import { readModelParams } from './model-params';

/**
 * Whether a version runs only on a deployment of its own: with none, selectBackend would answer
 * 409 no_backend (no built-in runtime, meta.backend or deployment default serves it). Apart from
 * the engine, so that a function that only looks versions up (the job route) bundles no backend.
 */
export function needsDeployment(model: ModelIdentity, version: { readonly version: number; readonly manifest?: BundleManifest }, config: InferenceConfig): boolean {
  if (!version.manifest) return false;
  try {
    selectBackend(model, version.manifest, readModelParams(version.manifest.params), config, { version: version.version });
    return false;
  } catch (error) {
    return error instanceof AppError && error.code === 'no_backend';
  }
}
