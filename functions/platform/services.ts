import { S3BundleStore } from '../bundles/s3-bundle-store';
import { DynamoModelStore } from '../registry/dynamo-model-store';
import { Registry } from '../registry/registry';
import { createDocumentClient, createS3Client } from './aws-clients';
import { loadFunctionConfig } from './function-config';

export interface Services {
  readonly registry: Registry;
  readonly models: DynamoModelStore;
  readonly bundles: S3BundleStore;
}

let services: Services | undefined;

/**
 * Clients live for the whole life of the execution environment, so warm invocations reuse their
 * connections. Built on first use rather than at import, so that a missing setting surfaces as
 * an error response instead of a failed cold start.
 */
export function getServices(): Services {
  if (!services) {
    const config = loadFunctionConfig();
    const models = new DynamoModelStore(createDocumentClient(), config.tableName);
    const bundles = new S3BundleStore(createS3Client(config), config.bucketName);
    services = { models, bundles, registry: new Registry({ models, bundles, bundleLimits: config.bundleLimits }) };
  }
  return services;
}
