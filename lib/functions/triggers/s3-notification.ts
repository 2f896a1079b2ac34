import { CfnResource, Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { EventType, type Bucket, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import type { CatalogueFunctionOf } from '../../../functions/catalogue/function-catalogue';
import type { BucketId, S3Trigger } from '../../../functions/catalogue/function-triggers';
import type { RouteFunction } from '../route-function';
import { failedEventQueue } from './failed-event-queue';

/**
 * S3 invokes its notification targets asynchronously. Lambda tries an event this many times
 * more after a failed run (its maximum), and keeps an event it cannot yet run, when throttled,
 * this long (its maximum); an event that still fails lands in the function's failed-event queue.
 * A run fails only on a real fault, such as a store that does not answer: the finalizer answers
 * quietly when someone else holds the check, and the pending sweep finishes what is left, so the
 * functions' Errors metric counts faults only.
 */
export const EVENT_RETRIES = { retryAttempts: 2, maxEventAge: Duration.hours(6) } as const;

/**
 * The logical id of the function CDK adds, once per stack, to write bucket notification
 * configurations at deploy time (aws-cdk-lib/aws-s3 NotificationsResourceHandler).
 */
export const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

function eventTypeOf(fn: CatalogueFunctionOf<'s3'>, name: string): EventType {
  const known = Object.values(EventType) as string[];
  if (!known.includes(name)) throw new Error(`Function '${fn.id}': '${name}' is not an S3 notification event (${known.join(', ')})`);
  return name as EventType;
}

const keyFilter = (trigger: S3Trigger): NotificationKeyFilter => ({
  ...(trigger.prefix ? { prefix: trigger.prefix } : {}),
  ...(trigger.suffix ? { suffix: trigger.suffix } : {}),
});

/**
 * Has the trigger's bucket notify the function of its events under its prefix and suffix, with
 * Lambda's retries and an on-failure queue (the function's role may send to that queue only).
 * Returns the queue. The queue, and the log group of CDK's notifications handler (kept for
 * `logRetention`), follow `removalPolicy`.
 *
 * CDK writes bucket notifications through a custom resource whose function it adds to the stack
 * once (see acknowledgeNotificationsHandler); a notification set in the bucket's own template
 * instead would make the bucket depend on the function, whose data policy depends on the bucket.
 */
export function wireS3Trigger(
  handler: RouteFunction,
  fn: CatalogueFunctionOf<'s3'>,
  buckets: Readonly<Record<BucketId, Bucket>>,
  lifecycle: { readonly logRetention: RetentionDays; readonly removalPolicy: RemovalPolicy },
): Queue {
  const { removalPolicy } = lifecycle;
  const failedEvents = failedEventQueue(handler, 'FailedEvents', {
    removalPolicy,
    why: `This queue is itself where failed ${fn.id} events end up (the function's on-failure destination, after Lambda's retries); nothing consumes it automatically, so a queue behind it would only ever stay empty`,
  });
  handler.function.configureAsyncInvoke({ ...EVENT_RETRIES, onFailure: new SqsDestination(failedEvents) });
  for (const event of fn.trigger.events) {
    buckets[fn.trigger.bucket].addEventNotification(eventTypeOf(fn, event), new LambdaDestination(handler.function), keyFilter(fn.trigger));
  }
  const stack = Stack.of(handler);
  acknowledgeNotificationsHandler(stack);
  keepNotificationsHandlerLogs(stack, lifecycle.logRetention, removalPolicy);
  return failedEvents;
}

/** The construct id of the log group made for CDK's bucket notifications handler, beside it in the stack. */
export const BUCKET_NOTIFICATIONS_HANDLER_LOGS_ID = 'BucketNotificationsHandlerLogs';

/**
 * Left alone, Lambda would create the notifications handler's log group on its first run, with
 * no retention and outside the stack. CDK makes that function from a raw AWS::Lambda::Function
 * resource and offers no log settings for it, so the stack makes a log group with the stack's
 * retention and points the function's LoggingConfig at it (once per stack, as the handler is).
 * The handler's role may already write any log group (AWSLambdaBasicExecutionRole, see below).
 */
function keepNotificationsHandlerLogs(stack: Stack, retention: RetentionDays, removalPolicy: RemovalPolicy): void {
  if (stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_LOGS_ID)) return;
  const resource = stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID)?.node.tryFindChild('Resource');
  if (!(resource instanceof CfnResource) || resource.cfnResourceType !== 'AWS::Lambda::Function') {
    throw new Error(`CDK's bucket notifications handler (${BUCKET_NOTIFICATIONS_HANDLER_ID}/Resource) was not found as an AWS::Lambda::Function: its logs need a log group with retention`);
  }
  const logGroup = new LogGroup(stack, BUCKET_NOTIFICATIONS_HANDLER_LOGS_ID, { retention, removalPolicy });
  resource.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
}

/**
 * The function behind CDK's Custom::S3BucketNotifications resource runs only while CloudFormation
 * creates, updates or deletes the stack, to call PutBucketNotificationConfiguration on the bundle
 * bucket (its inline policy allows only that, on that bucket). CDK gives its role the AWS managed
 * AWSLambdaBasicExecutionRole for its logs, on every role it is given, so that one finding is
 * acknowledged, on that role alone.
 */
const acknowledgedRoles = new WeakSet<IConstruct>();

function acknowledgeNotificationsHandler(stack: Stack): void {
  const handler: IConstruct | undefined = stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
  const role = handler?.node.tryFindChild('Role');
  if (!role) throw new Error(`CDK's bucket notifications handler (${BUCKET_NOTIFICATIONS_HANDLER_ID}/Role) was not found: review what it is granted before acknowledging it anew`);
  // Once per stack, however many functions listen to its buckets.
  if (acknowledgedRoles.has(role)) return;
  acknowledgedRoles.add(role);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "CDK's bucket notifications handler runs only during deployments, to write the bundle bucket's notification configuration (its own policy allows s3:PutBucketNotification on that bucket alone); CDK attaches this managed policy for its logs to whatever role it runs with",
  });
}
