/**
 * What invokes a Lambda function, in the terms of the AWS service that does it. The CDK stack
 * wires each kind to its service (lib/functions/catalogue-functions.ts); the local runtime's event
 * dispatcher (local/events/event-dispatcher.ts) delivers the same events, in the same shapes, to
 * the same handlers.
 */

/** A route of the HTTP API: the route table (functions/routes/route-table.ts) describes it, by this id. */
export interface HttpTrigger {
  readonly kind: 'http';
  readonly route: string;
}

/** The buckets of the stack a function may listen to. */
export type BucketId = 'bundle-bucket';

/**
 * S3 event notification types (S3 User Guide, "Event notification types and destinations"),
 * as a bucket notification names them.
 */
export type S3EventName =
  | `s3:ObjectCreated:${'*' | 'Put' | 'Post' | 'Copy' | 'CompleteMultipartUpload'}`
  | `s3:ObjectRemoved:${'*' | 'Delete' | 'DeleteMarkerCreated'}`;

/**
 * A bucket notification: S3 invokes the function asynchronously, one record per invocation, for
 * objects whose key starts with `prefix` and ends with `suffix`. Lambda retries a failed run
 * twice; an event that still fails lands in the function's failed-event queue.
 */
export interface S3Trigger {
  readonly kind: 's3';
  readonly bucket: BucketId;
  readonly events: readonly S3EventName[];
  readonly prefix: string;
  readonly suffix: string;
}

/** A DynamoDB stream record's `eventName` (DynamoDB Streams API Reference, "Record"). */
export type TableStreamEventName = 'INSERT' | 'MODIFY' | 'REMOVE';

/**
 * Items whose partition key starts with `partitionKey` and, when given, whose sort key starts with
 * `sortKey` (`{ partitionKey: 'MODEL#', sortKey: 'META' }`: model records only).
 */
export interface KeyPrefix {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

/**
 * The table's stream (NEW_AND_OLD_IMAGES), read by a Lambda event source mapping that passes on
 * only the records matching `events` and one of `keyPrefixes` (Lambda event filtering, one
 * filter per key prefix: at most 5). A batch is retried `retryAttempts` times, from the first
 * record the handler reports as failed (ReportBatchItemFailures: the handler answers
 * `{ batchItemFailures: [{ itemIdentifier: <SequenceNumber> }] }`); records that fail every try
 * land in the function's failed-event queue. Records of one item arrive in order; a record may
 * arrive more than once, so the handler must be idempotent.
 */
export interface TableStreamTrigger {
  readonly kind: 'table-stream';
  readonly events: readonly TableStreamEventName[];
  readonly keyPrefixes: readonly KeyPrefix[];
  /** Records per invocation: 1 to 10000. */
  readonly batchSize: number;
  /** Retries of a failed batch before its records are given up: 0 to 10000. */
  readonly retryAttempts: number;
  /** How long Lambda gathers records before invoking, 0 to 300 s (MaximumBatchingWindowInSeconds); Lambda's default (0) when absent. */
  readonly batchingWindowSeconds?: number;
  /** Batches of one shard processed at once, 1 to 10 (ParallelizationFactor); 1 when absent. */
  readonly parallelizationFactor?: number;
}

/**
 * An SQS queue of the function's own, read by a Lambda event source mapping with
 * ReportBatchItemFailures: the handler answers `{ batchItemFailures: [{ itemIdentifier: <messageId> }] }`
 * for the messages it could not handle, and only those return to the queue. A message is received
 * at most `maxReceiveCount` times, each time hidden from other receivers for
 * `visibilityTimeoutSeconds`, then moved to the queue's dead-letter queue (SQS redrive policy).
 */
export interface QueueTrigger {
  readonly kind: 'queue';
  /** Names the queue: producers send to it by this name. */
  readonly queue: string;
  /** Messages per invocation: 1 to 10 (no batching window). */
  readonly batchSize: number;
  /** Receives before a message moves to the dead-letter queue: 1 to 1000. */
  readonly maxReceiveCount: number;
  /** At least the function's timeout (SQS Developer Guide: Lambda needs it so), at most 12 hours. */
  readonly visibilityTimeoutSeconds: number;
}

/**
 * An EventBridge rule at a fixed rate. A run that could not happen is never retried (the next run
 * is the retry), and a run that outlasts the rate overlaps the next, so the work must tolerate it.
 * The handler gets a ScheduledEvent and must stop before `context.getRemainingTimeInMillis()` runs out.
 */
export interface ScheduleTrigger {
  readonly kind: 'schedule';
  readonly rateMinutes: number;
}

/**
 * A task of a Step Functions state machine: the state machine invokes the function synchronously
 * with its state's input and takes its result; retries are the state machine's. The stack grants
 * `lambda:InvokeFunction` on it only to the state machine roles that ask for it.
 */
export interface StateMachineTaskTrigger {
  readonly kind: 'state-machine-task';
}

/** Every trigger a function outside the route table can have. */
export type EventTrigger = S3Trigger | TableStreamTrigger | QueueTrigger | ScheduleTrigger | StateMachineTaskTrigger;

export type FunctionTrigger = HttpTrigger | EventTrigger;

export type TriggerKind = FunctionTrigger['kind'];
