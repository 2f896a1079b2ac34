import { InferenceEngine } from '../inference/inference-engine';
import { observePrediction } from '../observability/domain-observers';
import { cacheReadyVersions } from '../registry/ready-version-cache';
import { createSageMakerRuntimeClient } from './aws-clients';
import { bundleStore } from './bundle-services';
import { lazy } from './lazy';
import { inferenceConfig, predictedVersions } from './predicted-version-services';

export { inferenceConfig, predictedVersions };

/** One engine per execution environment: it keeps ONNX sessions and unpacked model files warm. */
export const inferenceEngine = lazy(() => new InferenceEngine({
  config: inferenceConfig(),
  openBundle: (key) => bundleStore().open(key),
  sagemaker: createSageMakerRuntimeClient(),
  onPrediction: observePrediction,
}));

/**
 * Which version a caller predicts with, remembered briefly so predictions cost no table reads.
 * Only answers that cannot go stale unnoticed are kept: a version in service on its endpoint (a
 * prediction that finds the endpoint gone looks again, see predict-model.ts) or one that needs
 * no deployment. A version waiting for its deployment is looked up (and settled) every time, since
 * the deploy routes run in other functions and cannot clear this function's memory.
 */
export const readyVersionFor = lazy(() => cacheReadyVersions(
  (actor, name, requested) => predictedVersions().lookup(actor, name, requested),
  {
    ttlMs: inferenceConfig().lookupCacheMs,
    keep: ({ model, version }) => version.deployment?.state === 'in_service' || !inferenceEngine().needsDeployment(model, version),
  },
));
