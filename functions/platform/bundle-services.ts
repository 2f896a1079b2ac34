import { S3BundleStore } from '../bundles/s3-bundle-store';
import { ModelRemoval } from '../registry/model-removal';
import { VersionRegistry } from '../registry/version-registry';
import { UploadSessions } from '../uploads/upload-sessions';
import { VersionFinalizer } from '../uploads/version-finalizer';
import { createS3Client } from './aws-clients';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** For the handlers that move or remove bundle bytes: these alone bundle the S3 client. */
export const bundleStore = lazy(() => {
  const config = loadFunctionConfig();
  return new S3BundleStore(createS3Client(config), config.bucketName);
});

export const versionRegistry = lazy(() => new VersionRegistry({
  models: tableServices().models,
  bundles: bundleStore(),
  bundleLimits: loadFunctionConfig().bundleLimits,
}));

export const modelRemoval = lazy(() => new ModelRemoval({ models: tableServices().models, bundles: bundleStore() }));

export const versionFinalizer = lazy(() => new VersionFinalizer({
  models: tableServices().models,
  bundles: bundleStore(),
  bundleLimits: loadFunctionConfig().bundleLimits,
}));

export const uploadSessions = lazy(() => new UploadSessions({
  models: tableServices().models,
  bundles: bundleStore(),
  finalizer: versionFinalizer(),
  limits: loadFunctionConfig().uploads,
}));
