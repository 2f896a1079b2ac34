/** The options for publishing versions with DOIs through DataCite (doiPrefix, datacite*, doiPublisher), and how they agree. */
import { DOI_PREFIX_PATTERN } from '../../functions/publishing/publishing-config';
import { httpsUrl, matching, refuseGiven, StackConfigError, stringOption } from './option-readers';
import type { StackConfig, StackOption } from './stack-config';

export function parseDoiPrefix(raw: unknown): string {
  return matching('doiPrefix', raw, DOI_PREFIX_PATTERN, 'a DOI prefix: 10. and 4 to 9 digits, such as 10.12345, as DataCite assigned it to the repository');
}

/**
 * A DataCite repository id (Fabrica's "Repository ID", the user name of its REST API): the
 * member's symbol, a dot, and the repository's, in capitals, 5 to 18 characters, as DataCite's
 * own check has it (`[A-Z]+\.[A-Z0-9]+(-[A-Z0-9]+)?`, lupo's Client model).
 */
export function parseRepositoryId(raw: unknown): string {
  const id = matching('dataciteRepositoryId', raw, /^[A-Z]+\.[A-Z0-9]+(-[A-Z0-9]+)?$/, 'a DataCite repository id as Fabrica shows it, such as ABC.MLHUB (capitals, digits, one dot)');
  if (id.length < 5 || id.length > 18) throw new StackConfigError('dataciteRepositoryId', `'${id}' must be 5 to 18 characters, as DataCite's repository ids are`);
  return id;
}

/** Secrets Manager's secret names: ASCII letters, digits and `/_+=.@-`, at most 512 (CreateSecret, Name). */
const SECRET_NAME = '[A-Za-z0-9/_+=.@-]{1,512}';
/** A complete secret ARN: the name, then the `-` and 6 characters Secrets Manager adds. */
const SECRET_ARN = new RegExp(`^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:secret:${SECRET_NAME}-[A-Za-z0-9]{6}$`);

/** Whether a dataciteSecretName value is a complete ARN rather than a name. */
export const isSecretArn = (secret: string): boolean => secret.startsWith('arn:');

export function parseSecretName(raw: unknown): string {
  const secret = stringOption('dataciteSecretName', raw);
  if (isSecretArn(secret)) {
    if (!SECRET_ARN.test(secret)) throw new StackConfigError('dataciteSecretName', `'${secret}' is not a complete secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>, as describe-secret shows it); or give the secret's name`);
    return secret;
  }
  if (!new RegExp(`^${SECRET_NAME}$`).test(secret)) throw new StackConfigError('dataciteSecretName', `'${secret}' is not a Secrets Manager secret name (letters, digits and /_+=.@-, at most 512) such as mlhub/datacite, nor a secret's ARN`);
  return secret;
}

export function parseDataciteEndpoint(raw: unknown): string {
  return httpsUrl('dataciteEndpoint', raw, "DataCite's REST API, https://api.datacite.org or the test system https://api.test.datacite.org");
}

export function parsePublisher(raw: unknown): string {
  const publisher = stringOption('doiPublisher', raw);
  if (publisher === '' || publisher.length > 256 || /\p{Cc}/u.test(publisher)) throw new StackConfigError('doiPublisher', `${JSON.stringify(publisher)} must be 1-256 characters on one line (DataCite's publisher: who makes the models available)`);
  return publisher;
}

/** Options that say how to publish, and mean nothing without a prefix to publish under. */
const PUBLISHING_DETAIL_OPTIONS = ['dataciteRepositoryId', 'dataciteSecretName', 'dataciteEndpoint', 'doiPublisher'] as const satisfies readonly StackOption[];

/** The publishing options agree: a prefix needs the repository and its password's secret; those need the prefix. */
export function checkPublishingOptions(config: StackConfig, given: (option: StackOption) => boolean): void {
  if (config.doiPrefix === undefined) {
    refuseGiven(PUBLISHING_DETAIL_OPTIONS, given, 'applies only to publishing with DOIs: set doiPrefix too (unset, the deployment does not publish)');
    return;
  }
  if (config.dataciteRepositoryId === undefined) {
    throw new StackConfigError('dataciteRepositoryId', `is required with doiPrefix '${config.doiPrefix}': give the DataCite repository id the prefix belongs to, such as ABC.MLHUB`);
  }
  if (config.dataciteSecretName === undefined) {
    throw new StackConfigError('dataciteSecretName', `is required with doiPrefix '${config.doiPrefix}': give the name or ARN of the Secrets Manager secret holding the repository's password, such as mlhub/datacite`);
  }
}

/** How the deployment publishes DOIs through DataCite (the doiPrefix and datacite* options). */
export interface DoiPublishing {
  readonly prefix: string;
  readonly endpoint: string;
  readonly repositoryId: string;
  /** The secret holding the repository's password: its name, or its complete ARN (isSecretArn). */
  readonly secretName: string;
  readonly publisher: string;
}

/** The deployment's DOI publishing; undefined without doiPrefix (it does not publish). */
export function doiPublishing(config: StackConfig): DoiPublishing | undefined {
  if (config.doiPrefix === undefined) return undefined;
  if (config.dataciteRepositoryId === undefined) throw new StackConfigError('dataciteRepositoryId', 'is required with doiPrefix');
  if (config.dataciteSecretName === undefined) throw new StackConfigError('dataciteSecretName', 'is required with doiPrefix');
  return {
    prefix: config.doiPrefix,
    endpoint: config.dataciteEndpoint,
    repositoryId: config.dataciteRepositoryId,
    secretName: config.dataciteSecretName,
    publisher: config.doiPublisher,
  };
}
