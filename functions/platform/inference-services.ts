import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { loadInferenceConfig } from '../inference/inference-config';
import { InferenceEngine } from '../inference/inference-engine';
import { cacheReadyVersions } from '../registry/ready-version-cache';
import { bundleStore, readyVersions } from './bundle-services';
import { lazy } from './lazy';

export const inferenceConfig = lazy(() => loadInferenceConfig());

/** One engine per execution environment: it keeps ONNX sessions and unpacked model files warm. */
export const inferenceEngine = lazy(() => new InferenceEngine({
  config: inferenceConfig(),
  openBundle: (key) => bundleStore().open(key),
  sagemaker: new SageMakerRuntimeClient({}),
}));

/** Which version a caller predicts with, remembered briefly so predictions cost no table reads. */
export const readyVersionFor = lazy(() => cacheReadyVersions(
  (actor, name, requested) => readyVersions().readyVersion(actor, name, requested),
  { ttlMs: inferenceConfig().lookupCacheMs },
));
