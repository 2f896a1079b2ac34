import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AttributeValue as WireAttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBRecord, ScheduledEvent, SQSRecord } from 'aws-lambda';
import type { TableChange, WireItem } from '../../functions/store/table-changes';

/** The account local ARNs name: no real account. */
export const LOCAL_ACCOUNT = '000000000000';

/**
 * An image as a stream record carries it: binary values base64-encoded, as in the JSON Lambda
 * receives (DynamoDB Streams API Reference, "AttributeValue").
 */
function eventValue(value: WireAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(eventValue) };
  if (value.M !== undefined) return { M: eventImage(value.M) };
  return value as AttributeValue;
}

const eventImage = (item: WireItem): Record<string, AttributeValue> =>
  Object.fromEntries(Object.entries(item).map(([name, value]) => [name, eventValue(value)]));

/**
 * One change as the record Lambda hands a stream consumer (Lambda Developer Guide, "Using AWS
 * Lambda with Amazon DynamoDB", example event), for a table whose stream has NEW_AND_OLD_IMAGES.
 * `sequenceNumber` orders the records of one stream.
 */
export function streamRecord(change: TableChange, sequenceNumber: string, region: string): DynamoDBRecord {
  const images = {
    ...(change.newImage ? { NewImage: eventImage(change.newImage) } : {}),
    ...(change.oldImage ? { OldImage: eventImage(change.oldImage) } : {}),
  };
  return {
    eventID: randomBytes(16).toString('hex'),
    eventName: change.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(change.at / 1000),
      Keys: eventImage(change.keys),
      ...images,
      SequenceNumber: sequenceNumber,
      SizeBytes: Buffer.byteLength(JSON.stringify({ Keys: change.keys, ...images })),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${change.tableName}/stream/local`,
  };
}

/** A message on a queue, as SQS keeps it. */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
}

/** One received message as the record Lambda hands a queue consumer (Lambda Developer Guide, "Using Lambda with Amazon SQS"). */
export function queueRecord(queue: string, message: QueueMessage, receipt: { readonly handle: string; readonly count: number; readonly firstAt: number }, region: string): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: receipt.handle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(receipt.count),
      SentTimestamp: String(message.sentAt),
      SenderId: LOCAL_ACCOUNT,
      ApproximateFirstReceiveTimestamp: String(receipt.firstAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${queue}`,
    awsRegion: region,
  };
}

/** What an EventBridge rule on a schedule sends its target (EventBridge User Guide, "Creating a rule that runs on a schedule"). */
export function scheduledEvent(ruleName: string, region: string, at = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT}:rule/${ruleName}`],
    detail: {},
  };
}
