import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { loadInferenceConfig } from '../inference/inference-config';
import { InferenceEngine } from '../inference/inference-engine';
import { bundleStore } from './bundle-services';
import { lazy } from './lazy';

export const inferenceConfig = lazy(() => loadInferenceConfig());

/** One engine per execution environment: it keeps ONNX sessions and unpacked model files warm. */
export const inferenceEngine = lazy(() => new InferenceEngine({
  config: inferenceConfig(),
  openBundle: (key) => bundleStore().open(key),
  sagemaker: new SageMakerRuntimeClient({}),
}));
