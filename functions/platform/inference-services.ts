import { PredictedVersions } from '../frameworks/predicted-versions';
import { SageMakerDeployer } from '../frameworks/sagemaker-deployer';
import { loadInferenceConfig } from '../inference/inference-config';
import { InferenceEngine } from '../inference/inference-engine';
import { observePrediction } from '../observability/domain-observers';
import { logger } from '../observability/logger';
import { cacheReadyVersions } from '../registry/ready-version-cache';
import { DynamoVersionStore } from '../versions/dynamo-version-store';
import { createSageMakerClient, createSageMakerRuntimeClient } from './aws-clients';
import { bundleStore, readyVersions } from './bundle-services';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

export const inferenceConfig = lazy(() => loadInferenceConfig());

/** One engine per execution environment: it keeps ONNX sessions and unpacked model files warm. */
export const inferenceEngine = lazy(() => new InferenceEngine({
  config: inferenceConfig(),
  openBundle: (key) => bundleStore().open(key),
  sagemaker: createSageMakerRuntimeClient(),
  onPrediction: observePrediction,
}));

/** Which version a prediction runs on, its deployment settled with SageMaker (DescribeEndpoint) while it changes. */
export const predictedVersions = lazy(() => new PredictedVersions({
  readyVersion: (actor, name, requested) => readyVersions().readyVersion(actor, name, requested),
  versions: new DynamoVersionStore(tableServices().documents, loadFunctionConfig().tableName),
  deployer: new SageMakerDeployer(createSageMakerClient()),
  needsDeployment: (model, version) => inferenceEngine().needsDeployment(model, version),
  now: () => new Date(),
  log: (message, error) => logger.warn(message, { error }),
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
