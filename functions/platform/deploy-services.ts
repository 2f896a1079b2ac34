import { loadDeploySettings } from '../frameworks/deploy-settings';
import { DynamoDeploymentSlots } from '../frameworks/dynamo-deployment-slots';
import { SageMakerDeployer } from '../frameworks/sagemaker-deployer';
import { VersionDeployments } from '../frameworks/version-deployments';
import { logger } from '../observability/logger';
import { DynamoVersionStore } from '../versions/dynamo-version-store';
import { createSageMakerClient } from './aws-clients';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** For the deploy routes and the removal of deployed versions: these alone bundle SageMaker's control-plane client. */
export const versionDeployments = lazy(() => {
  const config = loadFunctionConfig();
  return new VersionDeployments({
    models: tableServices().models,
    versions: new DynamoVersionStore(tableServices().documents, config.tableName),
    deployer: new SageMakerDeployer(createSageMakerClient()),
    slots: new DynamoDeploymentSlots(tableServices().documents, config.tableName),
    settings: loadDeploySettings(),
    bucket: config.bucketName,
    log: (message, error) => logger.error(message, { error }),
  });
});
