import { sendRecordedDoiWork } from './doi-work-sender';
import { S3BundleStore } from '../bundles/s3-bundle-store';
import { observeUploadCheck } from '../observability/domain-observers';
import { logger } from '../observability/logger';
import { ModelRemoval } from '../registry/model-removal';
import { DirectUpload } from '../versions/direct-upload';
import { DynamoUploadSessionStore } from '../versions/dynamo-upload-session-store';
import { DynamoVersionStore } from '../versions/dynamo-version-store';
import { PendingSweep } from '../versions/pending-sweep';
import { ReadyVersions } from '../versions/ready-versions';
import { UploadSessions } from '../versions/upload-sessions';
import { VersionFinalizer } from '../versions/version-finalizer';
import type { VersionRecord } from '../versions/version-records';
import { VersionRemoval } from '../versions/version-removal';
import { createS3Client } from './aws-clients';
import { datasetFinalizer, datasetStore } from './dataset-services';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** For the handlers that move or remove bundle bytes: these alone bundle the S3 client. */
export const bundleStore = lazy(() => {
  const config = loadFunctionConfig();
  return new S3BundleStore(createS3Client(config), config.bucketName);
});

/** The version lifecycle's stores, on the same table as the models. */
const lifecycleStores = lazy(() => {
  const { tableName } = loadFunctionConfig();
  const { documents } = tableServices();
  return { versions: new DynamoVersionStore(documents, tableName), sessions: new DynamoUploadSessionStore(documents, tableName) };
});

export const readyVersions = lazy(() => new ReadyVersions({ models: tableServices().models, versions: lifecycleStores().versions, bundles: bundleStore() }));

export const versionFinalizer = lazy(() => new VersionFinalizer({
  models: tableServices().models,
  ...lifecycleStores(),
  bundles: bundleStore(),
  bundleLimits: loadFunctionConfig().bundleLimits,
  onChecked: observeUploadCheck,
}));

export const directUpload = lazy(() => new DirectUpload({
  models: tableServices().models,
  versions: lifecycleStores().versions,
  bundles: bundleStore(),
  finalizer: versionFinalizer(),
  bundleLimits: loadFunctionConfig().bundleLimits,
}));

/** Tears down a removed version's endpoint; SageMaker's client is loaded only for a version that has one. */
async function undeployRemoved(version: VersionRecord): Promise<void> {
  if (!version.deployment) return;
  const { versionDeployments } = await import('./deploy-services');
  await versionDeployments().removeWith(version);
}

export const versionRemoval = lazy(() => new VersionRemoval({ models: tableServices().models, ...lifecycleStores(), bundles: bundleStore(), doiWork: sendRecordedDoiWork, undeploy: undeployRemoved }));

export const modelRemoval = lazy(() => {
  const { sessionSeconds, presignSeconds } = loadFunctionConfig().uploads;
  return new ModelRemoval({ models: tableServices().models, bundles: bundleStore(), versions: versionRemoval(), urlLifetimeMs: (sessionSeconds + presignSeconds) * 1000 });
});

export const uploadSessions = lazy(() => new UploadSessions({
  models: tableServices().models,
  ...lifecycleStores(),
  bundles: bundleStore(),
  finalizer: versionFinalizer(),
  limits: loadFunctionConfig().uploads,
}));

export const pendingSweep = lazy(() => new PendingSweep({
  removal: modelRemoval(), ...lifecycleStores(), bundles: bundleStore(), finalizer: versionFinalizer(), doiWork: sendRecordedDoiWork,
  datasets: { store: datasetStore(), finalizer: datasetFinalizer() },
  onItemError: (item, error) => logger.error('pending sweep: an item failed; the others were swept', { item, error: error as Error }),
}));
