import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { loadInferenceConfig, type InferenceConfig } from '../../../functions/inference/inference-config';
import { InferenceEngine } from '../../../functions/inference/inference-engine';
import type { BundleShelf } from './bundles';

/** The deployment's configuration as loaded from an empty environment, with test overrides. */
export function testConfig(cacheDir: string, overrides: Partial<InferenceConfig> = {}): InferenceConfig {
  return { ...loadInferenceConfig({ MLHUB_MODEL_CACHE_DIR: cacheDir }), ...overrides };
}

export function testEngine(shelf: BundleShelf, config: InferenceConfig, sagemaker?: SageMakerRuntimeClient): InferenceEngine {
  return new InferenceEngine({ config, openBundle: shelf.open, ...(sagemaker ? { sagemaker } : {}) });
}
