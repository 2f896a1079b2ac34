import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** How long a failed event waits in its queue to be looked at and sent again (SQS's maximum). */
export const FAILED_EVENT_RETENTION = Duration.days(14);

/**
 * A queue where events a function failed on every try end up, with what failed: encrypted,
 * TLS-only, kept 14 days. Nothing consumes it automatically (a person reads it, fixes the cause
 * and sends the events again), so it has no dead-letter queue of its own, and that cdk-nag
 * finding (SQS3) is acknowledged with `why`.
 */
export function failedEventQueue(scope: Construct, id: string, props: { readonly removalPolicy: RemovalPolicy; readonly why?: string }): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: FAILED_EVENT_RETENTION,
    removalPolicy: props.removalPolicy,
  });
  // cdk-nag finds nothing to say of a queue that is another's dead-letter queue: then no `why`.
  if (props.why !== undefined) Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: props.why });
  return queue;
}
