/**
 * The indexModels handler as Lambda runs it, over dynalite and s3rver: stream records become
 * search log entries, one per model however many records name it, items of no model are passed
 * over, and a model whose entry cannot be written is named in batchItemFailures by its records'
 * sequence numbers (ReportBatchItemFailures), while the others' entries stand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CONFIG_ENV } from '../../../functions/platform/function-config';
import { SearchChangeLog } from '../../../functions/search/search-change-log';
import { startDynamoServer, type EmbeddedServer } from '../../../local/dynamodb-server';
import { lambdaContext } from '../../../local/lambda-context';
import { ensureTable } from '../../../local/provision';
import { LOCAL_S3_CREDENTIALS, startS3Server, type LocalS3Server } from '../../../local/s3-server';

const TABLE = 'mlhub-handler-test';
const BUCKET = 'mlhub-handler-test-bundles';
let dynamo: EmbeddedServer;
let s3: LocalS3Server;
let directory: string;
let documents: DynamoDBDocumentClient;
let handler: (event: DynamoDBStreamEvent, context: ReturnType<typeof lambdaContext>) => Promise<DynamoDBBatchResponse>;

const record = (partition: string, sequence: string, sortKey = 'META'): DynamoDBStreamEvent['Records'][number] => ({
  eventName: 'MODIFY', eventSource: 'aws:dynamodb',
  dynamodb: { Keys: { PK: { S: partition }, SK: { S: sortKey } }, SequenceNumber: sequence, StreamViewType: 'NEW_AND_OLD_IMAGES' },
});

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mlhub-handler-s3-'));
  dynamo = await startDynamoServer({ host: '127.0.0.1' });
  s3 = await startS3Server({ directory, host: '127.0.0.1', buckets: [BUCKET] });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
  await ensureTable(client, TABLE);
  documents = DynamoDBDocumentClient.from(client);
  Object.assign(process.env, {
    [CONFIG_ENV.table]: TABLE, [CONFIG_ENV.bucket]: BUCKET, [CONFIG_ENV.s3ForcePathStyle]: 'true',
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_S3: s3.endpoint,
  });
  ({ handler } = (await import('../../../functions/handlers/index-models')) as unknown as { handler: typeof handler });
}, 60_000);

afterAll(async () => {
  await s3?.close();
  await dynamo?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('indexModels', () => {
  it('records each model a batch names once, passes over other items, and names only the failed model\'s records', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: { PK: 'MODEL#digits', SK: 'META', kind: 'model', name: 'digits', type: 'ONNX', owner: 'ada', visibility: 'public', state: 'active', createdAt: 'x', updatedAt: 'x', revision: 1, versionCounter: 0 } }));
    // A name larger than an item may be (400 KB): its log entry cannot be written.
    const unreadable = `MODEL#${'x'.repeat(410 * 1024)}`;
    const response = await handler({ Records: [
      record('MODEL#digits', '100'), record('MODEL#digits', '101', 'GRANT#bob'), record(unreadable, '102'), record('TOKEN#abc', '103'), record('MODEL#digits', '104', 'USAGE'), record(unreadable, '105'),
    ] }, lambdaContext('mlhub-indexModels', 'request-1', 1536, 300));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '102' }, { itemIdentifier: '105' }]);
    const { changes } = await new SearchChangeLog(documents, TABLE).changesAfter(0);
    expect(changes.map((change) => [change.name, change.document?.name])).toEqual([['digits', 'digits']]);
  });
});
