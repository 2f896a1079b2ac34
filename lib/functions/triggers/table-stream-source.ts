import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { CatalogueFunctionOf } from '../../../functions/catalogue/function-catalogue';
import { streamFilterPatterns } from '../../../functions/catalogue/stream-filters';
import type { RouteFunction } from '../route-function';
import { failedEventQueue } from './failed-event-queue';

/**
 * What Lambda needs to read a DynamoDB stream for an event source mapping (Lambda Developer Guide,
 * "Using Lambda with DynamoDB", execution role permissions), granted on the table's one stream.
 */
export const STREAM_READ_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'] as const;

/** The trigger's stream reading, deployed. */
export interface DeployedTableStream {
  readonly mapping: EventSourceMapping;
  /** Where the records of batches that failed every retry are described, for a person to replay. */
  readonly failedEvents: Queue;
}

/**
 * An event source mapping from the table's stream to the function: the trigger's filters (one per
 * key prefix, with its event names), batch size and retries, ReportBatchItemFailures, and an
 * on-failure queue. Starts at the stream's oldest record (TRIM_HORIZON), so that nothing written
 * between the stream's creation and the mapping's is missed. The function's role may read this
 * stream only (not any stream in the account, as CDK's DynamoEventSource grants ListStreams), and
 * send to its own failed-event queue only. Throws when the table has no stream.
 */
export function wireTableStreamTrigger(handler: RouteFunction, fn: CatalogueFunctionOf<'table-stream'>, table: ITable, removalPolicy: RemovalPolicy): DeployedTableStream {
  const streamArn = table.tableStreamArn;
  if (!streamArn) throw new Error(`Function '${fn.id}' reads the table's stream, but the table has none: MlHubStorage enables it when a catalogue function has a table-stream trigger`);
  const { trigger } = fn;
  const failedEvents = failedEventQueue(handler, 'FailedEvents', {
    removalPolicy,
    why: `This queue is itself where ${fn.id}'s stream batches end up after every retry failed (the event source mapping's on-failure destination); nothing consumes it automatically, so a queue behind it would only ever stay empty`,
  });
  const grant = Grant.addToPrincipal({ grantee: handler.function, actions: [...STREAM_READ_ACTIONS], resourceArns: [streamArn] });
  const mapping = new EventSourceMapping(handler, 'TableStream', {
    target: handler.function,
    eventSourceArn: streamArn,
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: trigger.batchSize,
    retryAttempts: trigger.retryAttempts,
    ...(trigger.batchingWindowSeconds !== undefined ? { maxBatchingWindow: Duration.seconds(trigger.batchingWindowSeconds) } : {}),
    parallelizationFactor: trigger.parallelizationFactor ?? 1,
    reportBatchItemFailures: true,
    onFailure: new SqsDlq(failedEvents),
    filters: streamFilterPatterns(trigger).map((pattern) => ({ pattern: JSON.stringify(pattern) })),
  });
  // Lambda checks the role can read the stream when the mapping is created.
  grant.applyBefore(mapping);
  return { mapping, failedEvents };
}
