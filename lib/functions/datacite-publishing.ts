import type { Grant } from 'aws-cdk-lib/aws-iam';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PUBLISHING_ENV } from '../../functions/publishing/publishing-config';
import { isSecretArn, type DoiPublishing } from '../config/stack-config';
import type { DeployedFunction } from './catalogue-functions';
import type { RouteFunction } from './route-function';

/**
 * What every function that publishes reads (functions/publishing/publishing-config.ts): the
 * prefix, DataCite and the landing pages' base. The publish route reads them too, though it never
 * calls DataCite: loadPublishingConfig wants the whole of them, or it takes the deployment for a
 * broken one.
 */
export function publishingEnvironment(publishing: DoiPublishing, landingBaseUrl: string): Record<string, string> {
  return {
    [PUBLISHING_ENV.prefix]: publishing.prefix,
    [PUBLISHING_ENV.provider]: 'datacite',
    [PUBLISHING_ENV.dataciteEndpoint]: publishing.endpoint,
    [PUBLISHING_ENV.dataciteRepositoryId]: publishing.repositoryId,
    [PUBLISHING_ENV.dataciteSecretId]: publishing.secretName,
    [PUBLISHING_ENV.publisher]: publishing.publisher,
    [PUBLISHING_ENV.landingBaseUrl]: landingBaseUrl,
  };
}

export interface DataCitePublishingProps {
  readonly publishing: DoiPublishing;
  /** The publish route's function (publishVersion): starts publications and sends their registrations. */
  readonly requester: RouteFunction;
  /**
   * The other functions that send DOI work (functions/platform/doi-work-sender.ts): the delete
   * routes, whose withdrawals hide DOIs, and the sweep, which sends again what was lost.
   */
  readonly senders: readonly RouteFunction[];
  /** registerDois, with the queue it reads: registers the DOIs with DataCite. */
  readonly registrar: Extract<DeployedFunction, { kind: 'queue' }>;
  /** The API's base URL, ending in '/': DOIs resolve to its model and version pages. */
  readonly landingBaseUrl: string;
}

/**
 * Publishing with DOIs through DataCite, on a stack with the doiPrefix option. Both functions are
 * told the publishing settings (publishingEnvironment), the publish route also its queue's URL.
 * The publish route and the other senders (told only the queue's URL) may send to registerDois's
 * queue, and to no other (SendMessage, with the GetQueueAttributes and GetQueueUrl that CDK's
 * grantSendMessages adds); registerDois may read
 * the repository's password from its secret, and no other secret (GetSecretValue, with the
 * DescribeSecret that grantRead adds). Neither is granted anything more on the table: that is
 * ROUTE_ACCESS's and CATALOGUE_ACCESS's (lib/access/).
 */
export class DataCitePublishing extends Construct {
  /** The existing secret holding the repository's password. */
  readonly secret: ISecret;
  /** The publish route's, then each sender's. */
  readonly sendGrants: readonly Grant[];
  readonly secretGrant: Grant;

  constructor(scope: Construct, id: string, props: DataCitePublishingProps) {
    super(scope, id);
    const { publishing, requester, registrar, senders } = props;
    // By name, the ARN ends in the 6 characters Secrets Manager added, which CDK matches with
    // `-??????`: a pattern no other secret's name fits, unless it is this name and those 6
    // characters (and `?` is no wildcard to cdk-nag's IAM5).
    this.secret = isSecretArn(publishing.secretName)
      ? Secret.fromSecretCompleteArn(this, 'DataCiteSecret', publishing.secretName)
      : Secret.fromSecretNameV2(this, 'DataCiteSecret', publishing.secretName);
    const environment = publishingEnvironment(publishing, props.landingBaseUrl);

    for (const [name, value] of Object.entries({ ...environment, [PUBLISHING_ENV.queueUrl]: registrar.queue.queueUrl })) {
      requester.function.addEnvironment(name, value);
    }
    for (const sender of senders) sender.function.addEnvironment(PUBLISHING_ENV.queueUrl, registrar.queue.queueUrl);
    this.sendGrants = [requester, ...senders].map((sender) => registrar.queue.grantSendMessages(sender.role));

    for (const [name, value] of Object.entries(environment)) registrar.handler.function.addEnvironment(name, value);
    this.secretGrant = this.secret.grantRead(registrar.handler.role);
  }
}
