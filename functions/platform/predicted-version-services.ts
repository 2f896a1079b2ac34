import { PredictedVersions } from '../frameworks/predicted-versions';
import { SageMakerDeployer } from '../frameworks/sagemaker-deployer';
import { needsDeployment } from '../inference/deployment-need';
import { loadInferenceConfig } from '../inference/inference-config';
import { logger } from '../observability/logger';
import { DynamoVersionStore } from '../versions/dynamo-version-store';
import { createSageMakerClient } from './aws-clients';
import { readyVersions } from './bundle-services';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/**
 * Which version a prediction runs on, without the inference engine (inference-services.ts adds
 * it, and re-exports these): a function that only looks a version up, as the job route does to
 * start a job, bundles no backend and needs no ONNX Runtime layer.
 */
export const inferenceConfig = lazy(() => loadInferenceConfig());

/** Which version a prediction runs on, its deployment settled with SageMaker (DescribeEndpoint) while it changes. */
export const predictedVersions = lazy(() => new PredictedVersions({
  readyVersion: (actor, name, requested) => readyVersions().readyVersion(actor, name, requested),
  versions: new DynamoVersionStore(tableServices().documents, loadFunctionConfig().tableName),
  deployer: new SageMakerDeployer(createSageMakerClient()),
  needsDeployment: (model, version) => needsDeployment(model, version, inferenceConfig()),
  now: () => new Date(),
  log: (message, error) => logger.warn(message, { error }),
}));
