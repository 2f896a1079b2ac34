/**
 * How a deployment publishes DOIs, from the environment. The stack sets these from its DOI
 * options; `npm start` sets the local provider (functions/publishing/local-datacite.ts).
 */
export const PUBLISHING_ENV = {
  /** The repository's DOI prefix (`10.` and 4 to 9 digits). Unset: this deployment does not publish. */
  prefix: 'MLHUB_DOI_PREFIX',
  /** `datacite`, or `local` for the in-process stand-in of npm start. */
  provider: 'MLHUB_DOI_PROVIDER',
  /** DataCite's REST API, `https://api.datacite.org` or the test system `https://api.test.datacite.org`. */
  dataciteEndpoint: 'MLHUB_DATACITE_ENDPOINT',
  /** The DataCite repository id (its Fabrica account, such as `ABC.MLHUB`). */
  dataciteRepositoryId: 'MLHUB_DATACITE_REPOSITORY_ID',
  /** The Secrets Manager secret whose SecretString is the repository's password. */
  dataciteSecretId: 'MLHUB_DATACITE_SECRET_ID',
  /** DataCite's `publisher`. */
  publisher: 'MLHUB_DOI_PUBLISHER',
  /** The API's base URL, ending in `/`: landing pages are `<base>model/<name>[/versions/<n>]`. */
  landingBaseUrl: 'MLHUB_LANDING_BASE_URL',
  /** The queue of DOI work (SQS QueueUrl), for every function that sends to it (functions/platform/doi-work-sender.ts); the local runtime delivers in-process instead. */
  queueUrl: 'MLHUB_DOI_QUEUE_URL',
} as const;

/** A DOI prefix as DataCite assigns them: `10.` and 4 to 9 digits (the stack's doiPrefix option checks the same). */
export const DOI_PREFIX_PATTERN = /^10\.\d{4,9}$/;

export const DEFAULT_DATACITE_ENDPOINT = 'https://api.test.datacite.org';
export const DEFAULT_PUBLISHER = 'MLHub';

export type DoiProviderConfig =
  | { readonly kind: 'local' }
  | { readonly kind: 'datacite'; readonly endpoint: string; readonly repositoryId: string; readonly secretId: string };

export interface PublishingConfig {
  readonly prefix: string;
  readonly provider: DoiProviderConfig;
  readonly publisher: string;
  readonly landingBaseUrl: string;
}

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} is required to publish DOIs`);
  return value;
};

/**
 * The publishing settings, or undefined when the deployment has no DOI prefix (it does not
 * publish). Throws naming the variable for a value that is set but wrong.
 */
export function loadPublishingConfig(env: NodeJS.ProcessEnv = process.env): PublishingConfig | undefined {
  const prefix = env[PUBLISHING_ENV.prefix]?.trim();
  if (!prefix) return undefined;
  if (!DOI_PREFIX_PATTERN.test(prefix)) throw new Error(`Environment variable ${PUBLISHING_ENV.prefix} must be a DOI prefix such as 10.12345, got '${prefix}'`);
  const kind = env[PUBLISHING_ENV.provider]?.trim() || 'datacite';
  if (kind !== 'local' && kind !== 'datacite') throw new Error(`Environment variable ${PUBLISHING_ENV.provider} must be datacite or local, got '${kind}'`);
  const landingBaseUrl = required(env, PUBLISHING_ENV.landingBaseUrl);
  if (!/^https?:\/\/[^\s]+\/$/.test(landingBaseUrl)) throw new Error(`Environment variable ${PUBLISHING_ENV.landingBaseUrl} must be an http(s) URL ending in /, got '${landingBaseUrl}'`);
  return {
    prefix,
    provider: kind === 'local'
      ? { kind }
      : { kind, endpoint: env[PUBLISHING_ENV.dataciteEndpoint]?.trim() || DEFAULT_DATACITE_ENDPOINT, repositoryId: required(env, PUBLISHING_ENV.dataciteRepositoryId), secretId: required(env, PUBLISHING_ENV.dataciteSecretId) },
    publisher: env[PUBLISHING_ENV.publisher]?.trim() || DEFAULT_PUBLISHER,
    landingBaseUrl,
  };
}
