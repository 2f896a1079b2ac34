import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventType, type Bucket, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { EVENT_SUBSCRIPTIONS, type EventSubscription } from '../../functions/routes/route-table';
import { accessAcknowledgements, accessStatements, storageAccessTargets } from '../access/access-statements';
import { eventAccess } from '../access/event-access';
import type { MlHubStorage } from '../storage/mlhub-storage';
import { RouteFunction } from './route-function';

/**
 * S3 invokes its notification targets asynchronously. Lambda tries an event this many times
 * more after a failed run (its maximum), and keeps an event it cannot yet run, when throttled,
 * this long (its maximum); an event that still fails lands in the subscription's failed-event queue.
 * A run fails only on a real fault, such as a store that does not answer: the finalizer answers
 * quietly when someone else holds the check, and the pending sweep finishes what is left, so the
 * functions' Errors metric counts faults only.
 */
export const EVENT_RETRIES = { retryAttempts: 2, maxEventAge: Duration.hours(6) } as const;

/** How long a failed event waits in its queue to be looked at and sent again (SQS's maximum). */
export const FAILED_EVENT_RETENTION = Duration.days(14);

/**
 * The logical id of the function CDK adds, once per stack, to write bucket notification
 * configurations at deploy time (aws-cdk-lib/aws-s3 NotificationsResourceHandler).
 */
export const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

export interface EventFunctionsProps {
  readonly storage: MlHubStorage;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** One storage event subscription, deployed. */
export interface EventFunction {
  readonly subscription: EventSubscription;
  readonly handler: RouteFunction;
  /** Where Lambda puts an event that failed every try, with the error: read it, fix, send it again. */
  readonly failedEvents: Queue;
}

function eventTypeOf(subscription: EventSubscription, name: string): EventType {
  const known = Object.values(EventType) as string[];
  if (!known.includes(name)) throw new Error(`Event subscription '${subscription.id}': '${name}' is not an S3 notification event (${known.join(', ')})`);
  return name as EventType;
}

const keyFilter = (subscription: EventSubscription): NotificationKeyFilter => ({
  ...(subscription.prefix ? { prefix: subscription.prefix } : {}),
  ...(subscription.suffix ? { suffix: subscription.suffix } : {}),
});

/**
 * One function per storage event subscription (EVENT_SUBSCRIPTIONS in the route table), built as
 * the route functions are (same bundling, runtime, architecture, tracing and own log group), with
 * the subscription's memory and timeout and the data access EVENT_ACCESS gives it, and invoked by
 * a notification of the subscription's bucket for its events, prefix and suffix.
 *
 * CDK writes bucket notifications through a custom resource whose function it adds to the stack
 * once (see acknowledgeNotificationsHandler); a notification set in the bucket's own template
 * instead would make the bucket depend on the function, whose data policy depends on the bucket.
 */
export class EventFunctions extends Construct {
  /** By subscription id. */
  readonly bySubscription: ReadonlyMap<string, EventFunction>;

  constructor(scope: Construct, id: string, props: EventFunctionsProps) {
    super(scope, id);
    const { table, bundleBucket } = props.storage;
    const targets = storageAccessTargets(props.storage, []);
    const sources: Readonly<Record<EventSubscription['source'], Bucket>> = { 'bundle-bucket': bundleBucket };

    this.bySubscription = new Map(EVENT_SUBSCRIPTIONS.map((subscription) => {
      const access = eventAccess(subscription.id);
      const handler = new RouteFunction(this, subscription.id, {
        handler: subscription.handler,
        description: `On ${subscription.events.join(', ')} for ${subscription.prefix}*${subscription.suffix} in the ${subscription.source.replaceAll('-', ' ')}: ${subscription.summary}`,
        memoryMb: subscription.memoryMb,
        timeoutSeconds: subscription.timeoutSeconds,
        // Storage events come from S3, not from callers: no identity configuration.
        environment: { [CONFIG_ENV.table]: table.tableName, [CONFIG_ENV.bucket]: bundleBucket.bucketName },
        dataAccess: accessStatements(access, targets),
        dataAccessAcknowledgements: accessAcknowledgements(access, targets),
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });

      const failedEvents = new Queue(handler, 'FailedEvents', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: FAILED_EVENT_RETENTION,
        removalPolicy: props.removalPolicy,
      });
      Validations.of(failedEvents).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself where failed ${subscription.id} events end up (the function's on-failure destination, after Lambda's retries); nothing consumes it automatically, so a queue behind it would only ever stay empty`,
      });
      // Lambda sends the failed event with the error and the request; the role may send to this queue only.
      handler.function.configureAsyncInvoke({ ...EVENT_RETRIES, onFailure: new SqsDestination(failedEvents) });

      const bucket = sources[subscription.source];
      for (const event of subscription.events) {
        bucket.addEventNotification(eventTypeOf(subscription, event), new LambdaDestination(handler.function), keyFilter(subscription));
      }
      return [subscription.id, { subscription, handler, failedEvents }];
    }));

    if (this.bySubscription.size > 0) acknowledgeNotificationsHandler(Stack.of(this));
  }
}

/**
 * The function behind CDK's Custom::S3BucketNotifications resource runs only while CloudFormation
 * creates, updates or deletes the stack, to call PutBucketNotificationConfiguration on the bundle
 * bucket (its inline policy allows only that, on that bucket). CDK gives its role the AWS managed
 * AWSLambdaBasicExecutionRole for its logs, on every role it is given, so that one finding is
 * acknowledged, on that role alone.
 */
function acknowledgeNotificationsHandler(stack: Stack): void {
  const handler: IConstruct | undefined = stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
  const role = handler?.node.tryFindChild('Role');
  if (!role) throw new Error(`CDK's bucket notifications handler (${BUCKET_NOTIFICATIONS_HANDLER_ID}/Role) was not found: review what it is granted before acknowledging it anew`);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "CDK's bucket notifications handler runs only during deployments, to write the bundle bucket's notification configuration (its own policy allows s3:PutBucketNotification on that bucket alone); CDK attaches this managed policy for its logs to whatever role it runs with",
  });
}
