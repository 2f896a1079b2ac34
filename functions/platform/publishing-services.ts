import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { AppError } from '../errors/app-error';
import { DataCiteClient } from '../publishing/datacite-client';
import type { DoiProvider } from '../publishing/doi-provider';
import { DynamoDoiRecordStore } from '../publishing/dynamo-doi-record-store';
import { localDoiProvider } from '../publishing/local-datacite';
import { loadPublishingConfig, type PublishingConfig } from '../publishing/publishing-config';
import { VersionPublishing } from '../publishing/version-publishing';
import { DynamoVersionStore } from '../versions/dynamo-version-store';
import { createSecretsManagerClient } from './aws-clients';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** The deployment's publishing settings; a 503 for a deployment that has no DOI prefix. */
export const publishingConfig = lazy((): PublishingConfig | undefined => loadPublishingConfig());

export function requirePublishing(): PublishingConfig {
  const config = publishingConfig();
  if (!config) throw new AppError('unavailable', 'publishing_not_configured', 'This MLHub has no DOI prefix, so it cannot publish: its operator sets the doiPrefix stack option (see "Publishing" in the README)');
  return config;
}

/** DataCite with the repository's password from Secrets Manager, read once per environment; or the local stand-in. */
async function provider(config: PublishingConfig): Promise<DoiProvider> {
  const { tableName } = loadFunctionConfig();
  if (config.provider.kind === 'local') return localDoiProvider(new DynamoDoiRecordStore(tableServices().documents, tableName));
  const secret = await createSecretsManagerClient().send(new GetSecretValueCommand({ SecretId: config.provider.secretId }));
  if (!secret.SecretString) throw new Error(`The secret ${config.provider.secretId} holds no SecretString: store the DataCite repository password there`);
  return new DataCiteClient({ endpoint: config.provider.endpoint, repositoryId: config.provider.repositoryId, password: secret.SecretString });
}

/** The provider, made on first use; a failure (an unreadable secret) is not kept, so the next message tries again. */
let providerMade: Promise<DoiProvider> | undefined;
function sharedProvider(config: PublishingConfig): Promise<DoiProvider> {
  providerMade ??= provider(config).catch((error: unknown) => {
    providerMade = undefined;
    throw error;
  });
  return providerMade;
}

/** Publishing over the table's stores and the configured provider, made once per execution environment. */
export const versionPublishing = lazy((): VersionPublishing => {
  const config = requirePublishing();
  const { tableName } = loadFunctionConfig();
  const { documents, models } = tableServices();
  return new VersionPublishing({
    models,
    versions: new DynamoVersionStore(documents, tableName),
    provider: () => sharedProvider(config),
    prefix: config.prefix,
    publisher: config.publisher,
    landingUrl: (name, version) => `${config.landingBaseUrl}model/${encodeURIComponent(name)}${version === undefined ? '' : `/versions/${version}`}`,
  });
});
