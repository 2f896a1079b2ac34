import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { CatalogueFunctionOf } from '../../../functions/catalogue/function-catalogue';
import type { RouteFunction } from '../route-function';
import { failedEventQueue } from './failed-event-queue';

/** The trigger's queues, deployed. */
export interface DeployedQueue {
  /** Producers send here. */
  readonly queue: Queue;
  /** Where SQS moves a message received maxReceiveCount times. */
  readonly deadLetters: Queue;
}

/** Refuses settings SQS or Lambda would refuse at deploy time, naming the function and the field. */
function checkQueueTrigger(fn: CatalogueFunctionOf<'queue'>): void {
  const { trigger } = fn;
  const refuse = (why: string) => {
    throw new Error(`Function '${fn.id}', queue trigger: ${why}`);
  };
  if (!Number.isInteger(trigger.batchSize) || trigger.batchSize < 1 || trigger.batchSize > 10) refuse(`batchSize must be 1 to 10 without a batching window, got ${trigger.batchSize}`);
  if (!Number.isInteger(trigger.maxReceiveCount) || trigger.maxReceiveCount < 1 || trigger.maxReceiveCount > 1000) refuse(`maxReceiveCount must be 1 to 1000, got ${trigger.maxReceiveCount}`);
  // SQS Developer Guide, "Configuring a queue to trigger a Lambda function": at least the function's timeout.
  if (trigger.visibilityTimeoutSeconds < fn.timeoutSeconds || trigger.visibilityTimeoutSeconds > 12 * 3600) {
    refuse(`visibilityTimeoutSeconds must be at least the function's timeout (${fn.timeoutSeconds} s) and at most 12 hours, got ${trigger.visibilityTimeoutSeconds}`);
  }
}

/**
 * The function's own queue, encrypted and TLS-only, with a redrive policy to a dead-letter queue
 * after maxReceiveCount receives, read by an event source mapping with the trigger's batch size
 * and ReportBatchItemFailures. The function's role may consume this queue only
 * (ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl);
 * nothing may read the dead-letter queue but a person.
 */
export function wireQueueTrigger(handler: RouteFunction, fn: CatalogueFunctionOf<'queue'>, removalPolicy: RemovalPolicy): DeployedQueue {
  checkQueueTrigger(fn);
  const { trigger } = fn;
  // cdk-nag's SQS3 knows a queue named as another's dead-letter queue, so it needs no acknowledgement.
  const deadLetters = failedEventQueue(handler, 'DeadLetters', { removalPolicy });
  const queue = new Queue(handler, 'Queue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(trigger.visibilityTimeoutSeconds),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: trigger.maxReceiveCount },
    removalPolicy,
  });
  handler.function.addEventSource(new SqsEventSource(queue, { batchSize: trigger.batchSize, reportBatchItemFailures: true }));
  return { queue, deadLetters };
}
