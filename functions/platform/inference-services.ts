import { loadInferenceConfig } from '../inference/inference-config';
import { InferenceEngine } from '../inference/inference-engine';
import { observePrediction } from '../observability/domain-observers';
import { cacheReadyVersions } from '../registry/ready-version-cache';
import { createSageMakerRuntimeClient } from './aws-clients';
import { bundleStore, readyVersions } from './bundle-services';
import { lazy } from './lazy';

export const inferenceConfig = lazy(() => loadInferenceConfig());

/** One engine per execution environment: it keeps ONNX sessions and unpacked model files warm. */
export const inferenceEngine = lazy(() => new InferenceEngine({
  config: inferenceConfig(),
  openBundle: (key) => bundleStore().open(key),
  sagemaker: createSageMakerRuntimeClient(),
  onPrediction: observePrediction,
}));

/** Which version a caller predicts with, remembered briefly so predictions cost no table reads. */
export const readyVersionFor = lazy(() => cacheReadyVersions(
  (actor, name, requested) => readyVersions().readyVersion(actor, name, requested),
  { ttlMs: inferenceConfig().lookupCacheMs },
));
