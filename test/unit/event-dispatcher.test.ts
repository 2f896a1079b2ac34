/**
 * The local event dispatcher delivers each kind of event to the functions whose trigger takes it,
 * in the shapes Lambda gives them: table changes made through a real store over dynalite, SQS
 * messages with retries and a dead-letter queue, S3 events, and state-machine tasks. (Schedules:
 * test/unit/scheduled-runs.test.ts.)
 */
import { createHash } from 'node:crypto';
import type { DynamoDBRecord, DynamoDBStreamEvent, S3EventRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { catalogueFunction, type CatalogueFunction } from '../../functions/catalogue/function-catalogue';
import { userActor } from '../../functions/identity/actor';
import { watchTableChanges } from '../../functions/store/table-changes';
import type { EventHandler } from '../../local/events/delivery-context';
import { startEventDispatcher, type EventDispatcher, type EventDispatcherOptions } from '../../local/events/event-dispatcher';
import { EMBEDDED_TABLE, startEmbeddedStores, type EmbeddedStores } from '../support/embedded-stores';

const owner = userActor('ada', 'session');
const REGION = 'eu-west-1';

/** Functions of every kind but the schedule, as a later issue's catalogue entries would read; each handler is a test's. */
const TEST_FUNCTIONS: readonly CatalogueFunction[] = [
  {
    id: 'indexModels', handler: 'index-models', memoryMb: 512, timeoutSeconds: 30, summary: 'model records, as a search index reads them',
    trigger: { kind: 'table-stream', events: ['INSERT', 'MODIFY', 'REMOVE'], keyPrefixes: [{ partitionKey: 'MODEL#', sortKey: 'META' }], batchSize: 10, retryAttempts: 2 },
  },
  {
    id: 'noticeGrants', handler: 'notice-grants', memoryMb: 256, timeoutSeconds: 30, summary: 'new and removed grants only',
    trigger: { kind: 'table-stream', events: ['INSERT', 'REMOVE'], keyPrefixes: [{ partitionKey: 'MODEL#', sortKey: 'GRANT#' }], batchSize: 10, retryAttempts: 2 },
  },
  {
    id: 'auditGrantChanges', handler: 'audit-grant-changes', memoryMb: 256, timeoutSeconds: 30, summary: 'changed grants only',
    trigger: { kind: 'table-stream', events: ['MODIFY'], keyPrefixes: [{ partitionKey: 'MODEL#', sortKey: 'GRANT#' }], batchSize: 10, retryAttempts: 0 },
  },
  {
    id: 'registerDoi', handler: 'register-doi', memoryMb: 256, timeoutSeconds: 1, summary: 'one message per DOI to register',
    trigger: { kind: 'queue', queue: 'doi-registrations', batchSize: 5, maxReceiveCount: 3, visibilityTimeoutSeconds: 2 },
  },
  {
    id: 'runChunk', handler: 'run-chunk', memoryMb: 1024, timeoutSeconds: 60, summary: 'one chunk of a batch job',
    trigger: { kind: 'state-machine-task' },
  },
  { ...catalogueFunction('finalizeUpload'), handler: 'finalize-test' },
];

/** Every invocation each handler got, and what each one does, by handler module. */
const received = new Map<string, unknown[]>();
const behaviours = new Map<string, EventHandler>();
const log = vi.fn<(line: string) => void>();

const loadHandler = async (module: string): Promise<EventHandler> => async (event, context) => {
  received.set(module, [...(received.get(module) ?? []), event]);
  return behaviours.get(module)?.(event, context);
};
const eventsOf = <T>(module: string): T[] => (received.get(module) ?? []) as T[];

const startDispatcher = (options: Partial<EventDispatcherOptions> = {}): EventDispatcher => startEventDispatcher({
  functions: TEST_FUNCTIONS, loadHandler, buckets: { 'bundle-bucket': 'bundles' }, tableName: EMBEDDED_TABLE,
  intervalSeconds: () => 0, region: REGION, log, retryDelayMs: () => 20, ...options,
});

beforeEach(() => {
  received.clear();
  behaviours.clear();
  log.mockClear();
});

describe('table changes', () => {
  let dispatcher: EventDispatcher;
  let stores: EmbeddedStores;
  let counter = 0;
  const streamRecords = (module: string): DynamoDBRecord[] => eventsOf<DynamoDBStreamEvent>(module).flatMap((event) => event.Records);

  beforeAll(async () => {
    // First: the stores' client reports changes only to a dispatcher attached when it is built.
    dispatcher = startDispatcher();
    stores = await startEmbeddedStores();
  }, 60_000);

  afterAll(async () => {
    await dispatcher?.stop();
    await stores?.close();
  });

  it('delivers a model record\'s INSERT, then MODIFY, as DynamoDBStreamEvents with the keys and images marshalled, after each write', async () => {
    const name = `streamed-${(counter += 1)}`;
    await stores.registry.createModel(owner, name, { type: 'onnx' });
    await vi.waitFor(() => expect(streamRecords('index-models')).toHaveLength(1));
    await stores.registry.updateModel(owner, name, { description: 'now indexed' }, 'any');
    await vi.waitFor(() => expect(streamRecords('index-models')).toHaveLength(2));

    const [insert, modify] = streamRecords('index-models');
    expect(insert).toMatchObject({
      eventName: 'INSERT', eventSource: 'aws:dynamodb', eventVersion: '1.1', awsRegion: REGION,
      eventSourceARN: expect.stringMatching(new RegExp(`^arn:aws:dynamodb:${REGION}:\\d{12}:table/${EMBEDDED_TABLE}/stream/`)),
      dynamodb: { Keys: { PK: { S: `MODEL#${name}` }, SK: { S: 'META' } }, StreamViewType: 'NEW_AND_OLD_IMAGES', NewImage: { PK: { S: `MODEL#${name}` }, owner: { S: 'ada' } } },
    });
    expect(insert?.dynamodb?.OldImage).toBeUndefined();
    expect(modify?.eventName).toBe('MODIFY');
    expect(modify?.dynamodb?.OldImage?.description).toBeUndefined();
    expect(modify?.dynamodb?.NewImage?.description).toEqual({ S: 'now indexed' });
    expect(modify?.dynamodb?.OldImage?.revision).toEqual(insert?.dynamodb?.NewImage?.revision);
    // Ordered as a stream shard orders them.
    expect(BigInt(modify?.dynamodb?.SequenceNumber ?? '0')).toBeGreaterThan(BigInt(insert?.dynamodb?.SequenceNumber ?? '0'));
    expect(modify?.dynamodb?.ApproximateCreationDateTime).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('passes each function only the records its filters take: key prefixes and event names', async () => {
    const name = `filtered-${(counter += 1)}`;
    await stores.registry.createModel(owner, name, { type: 'onnx' });
    const grant = { user: 'bob', role: 'read', grantedAt: new Date().toISOString(), grantedBy: 'ada' } as const;
    await stores.models.putGrant(name, grant, new Date().toISOString());
    // A MODIFY of the grant: noticeGrants takes INSERT and REMOVE only.
    await stores.models.putGrant(name, { ...grant, role: 'write' }, new Date().toISOString());
    await stores.models.deleteGrant(name, 'bob');
    await vi.waitFor(() => expect(streamRecords('notice-grants')).toHaveLength(2));

    const grants = streamRecords('notice-grants');
    expect(grants.map((record) => [record.eventName, record.dynamodb?.Keys?.SK?.S])).toEqual([['INSERT', 'GRANT#bob'], ['REMOVE', 'GRANT#bob']]);
    expect(grants[1]?.dynamodb?.NewImage).toBeUndefined();
    expect(grants[1]?.dynamodb?.OldImage?.role).toEqual({ S: 'write' });
    const changed = streamRecords('audit-grant-changes').filter((record) => record.dynamodb?.Keys?.PK?.S === `MODEL#${name}`);
    expect(changed.map((record) => [record.dynamodb?.OldImage?.role?.S, record.dynamodb?.NewImage?.role?.S])).toEqual([['read', 'write']]);
    // The model record's stream consumer saw the model's INSERT, and none of its grants.
    expect(streamRecords('index-models').filter((record) => record.dynamodb?.Keys?.PK?.S === `MODEL#${name}`).map((record) => record.dynamodb?.Keys?.SK?.S)).toEqual(['META']);
  });

  it('reports nothing for a write that failed, nor for one that changed nothing', async () => {
    const name = `unchanged-${(counter += 1)}`;
    await stores.registry.createModel(owner, name, { type: 'onnx' });
    await vi.waitFor(() => expect(streamRecords('index-models')).toHaveLength(1));
    await expect(stores.registry.createModel(owner, name, { type: 'onnx' })).rejects.toThrow(/already taken/);
    // Deleting a grant nobody holds removes no item; writing a grant as it is changes nothing.
    await stores.models.deleteGrant(name, 'nobody');
    const grant = { user: 'carol', role: 'read', grantedAt: '2026-01-01T00:00:00.000Z', grantedBy: 'ada' } as const;
    await stores.models.putGrant(name, grant, '2026-01-01T00:00:00.000Z');
    await stores.models.putGrant(name, grant, '2026-01-01T00:00:00.000Z');
    // Marker writes after them, so that anything they reported would have arrived first.
    await stores.models.putGrant(name, { ...grant, role: 'write' }, '2026-01-01T00:00:00.000Z');
    await stores.registry.updateModel(owner, name, { description: 'marker' }, 'any');
    await vi.waitFor(() => expect(streamRecords('index-models')).toHaveLength(2));
    await vi.waitFor(() => expect(streamRecords('audit-grant-changes')).toHaveLength(1));
    expect(streamRecords('index-models').map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY']);
    expect(streamRecords('notice-grants').map((record) => record.eventName)).toEqual(['INSERT']);
    expect(streamRecords('audit-grant-changes')[0]?.dynamodb?.NewImage?.role).toEqual({ S: 'write' });
  });

  it('retries a batch whose run failed, from the first record the handler reports, then leaves what still fails in the dead-letter store', async () => {
    let runs = 0;
    behaviours.set('index-models', async (event) => {
      runs += 1;
      const [first, second] = (event as DynamoDBStreamEvent).Records;
      if (runs === 1) throw new Error('the index did not answer');
      // From then on, the second record of a batch always fails.
      return { batchItemFailures: second ? [{ itemIdentifier: second.dynamodb?.SequenceNumber }] : first ? [{ itemIdentifier: first.dynamodb?.SequenceNumber }] : [] };
    });
    const name = `failing-${(counter += 1)}`;
    await stores.registry.createModel(owner, name, { type: 'onnx' });
    await vi.waitFor(() => expect(dispatcher.deadLetters('indexModels')).toHaveLength(1));
    // 1 run + retryAttempts (2) retries, each with the one record.
    expect(runs).toBe(3);
    const [letter] = dispatcher.deadLetters('indexModels');
    expect(letter).toMatchObject({ functionId: 'indexModels', source: 'table-stream', attempts: 3, error: 'the handler reported 1 of 1 records failed' });
    // Lost with the process (the cloud keeps them in its on-failure queue): a start after this rebuilds what the stream feeds.
    expect(dispatcher.undeliveredTableChanges()).toBe(1);
    expect((letter?.payload as DynamoDBRecord).dynamodb?.Keys?.PK).toEqual({ S: `MODEL#${name}` });
    expect(log).toHaveBeenCalledWith('dead letter: indexModels gave up on a table-stream event after 3 tries: the handler reported 1 of 1 records failed');
    // The stream moves on past it.
    behaviours.delete('index-models');
    await stores.registry.updateModel(owner, name, { description: 'after' }, 'any');
    await vi.waitFor(() => expect(eventsOf('index-models')).toHaveLength(4));
  });
});

describe('a stop with table changes under way', () => {
  it('waits for the stream readers to deliver what they took before the stores close, and counts what it could not deliver', async () => {
    const dispatcher = startDispatcher();
    const stores = await startEmbeddedStores();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let finished = 0;
    behaviours.set('index-models', async () => {
      await gate;
      finished += 1;
    });
    try {
      await stores.registry.createModel(owner, 'drained-1', { type: 'onnx' });
      await vi.waitFor(() => expect(eventsOf('index-models')).toHaveLength(1));
      let stopped = false;
      const stopping = dispatcher.stop().then(() => {
        stopped = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toBe(false);
      open();
      await stopping;
      expect(finished).toBe(1);
      expect(dispatcher.undeliveredTableChanges()).toBe(0);
    } finally {
      behaviours.delete('index-models');
      await dispatcher.stop();
      await stores.close();
    }
  });
});

describe('the table change hook', () => {
  it('is not there at all without an attached dispatcher: a deployed client sends its commands untouched', () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION }));
    watchTableChanges(client);
    expect(client.middlewareStack.identify().filter((entry) => entry.includes('mlhubTableChanges'))).toEqual([]);
    const dispatcher = startDispatcher();
    try {
      const watched = DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION }));
      watchTableChanges(watched);
      expect(watched.middlewareStack.identify().filter((entry) => entry.includes('mlhubTableChanges'))).toHaveLength(1);
    } finally {
      void dispatcher.stop();
    }
  });

  it('is attached only when some function reads the table\'s stream', () => {
    const dispatcher = startDispatcher({ functions: TEST_FUNCTIONS.filter((fn) => fn.trigger.kind !== 'table-stream') });
    try {
      const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION }));
      watchTableChanges(client);
      expect(client.middlewareStack.identify().filter((entry) => entry.includes('mlhubTableChanges'))).toEqual([]);
    } finally {
      void dispatcher.stop();
    }
  });
});

describe('queues', () => {
  let dispatcher: EventDispatcher;
  const messages = (): SQSRecord[] => eventsOf<SQSEvent>('register-doi').flatMap((event) => event.Records);

  beforeEach(() => {
    vi.useFakeTimers();
    dispatcher = startDispatcher({ functions: TEST_FUNCTIONS.filter((fn) => fn.trigger.kind === 'queue') });
  });

  afterEach(async () => {
    await dispatcher.stop();
    vi.useRealTimers();
  });

  it('delivers messages as an SQSEvent batch, and deletes the ones that succeeded', async () => {
    const sent = ['10.5072/a', '10.5072/b'].map((body) => dispatcher.sendMessage('doi-registrations', body));
    await vi.advanceTimersByTimeAsync(0);
    expect(eventsOf<SQSEvent>('register-doi')).toHaveLength(1);
    const [first, second] = messages();
    expect(first).toMatchObject({
      messageId: sent[0]?.messageId, body: '10.5072/a', eventSource: 'aws:sqs', awsRegion: REGION,
      eventSourceARN: expect.stringMatching(new RegExp(`^arn:aws:sqs:${REGION}:\\d{12}:doi-registrations$`)),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
      md5OfBody: createHash('md5').update('10.5072/a').digest('hex'),
    });
    expect(second?.body).toBe('10.5072/b');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(messages()).toHaveLength(2);
    expect(dispatcher.deadLetters()).toEqual([]);
  });

  it('returns only the messages a handler reports failed, after the visibility timeout, and moves one received maxReceiveCount times to the dead-letter store', async () => {
    behaviours.set('register-doi', async (event) => ({
      batchItemFailures: (event as SQSEvent).Records.filter((record) => record.body === 'refused').map((record) => ({ itemIdentifier: record.messageId })),
    }));
    dispatcher.sendMessage('doi-registrations', 'accepted');
    const refused = dispatcher.sendMessage('doi-registrations', 'refused');
    await vi.advanceTimersByTimeAsync(0);
    // Hidden for the visibility timeout (2 s), then received again: three receives in all.
    await vi.advanceTimersByTimeAsync(1_999);
    expect(messages().map((record) => record.body)).toEqual(['accepted', 'refused']);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(messages().map((record) => [record.body, record.attributes.ApproximateReceiveCount])).toEqual([['accepted', '1'], ['refused', '1'], ['refused', '2'], ['refused', '3']]);
    expect(dispatcher.deadLetters()).toEqual([]);
    // SQS moves it when it would be received a fourth time.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(messages()).toHaveLength(4);
    expect(dispatcher.deadLetters()).toEqual([expect.objectContaining({
      functionId: 'registerDoi', source: 'queue', attempts: 3, error: 'the handler reported it failed', payload: expect.objectContaining({ messageId: refused.messageId, body: 'refused' }),
    })]);
    expect(log).toHaveBeenCalledWith('dead letter: registerDoi gave up on a queue event after 3 tries: the handler reported it failed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(messages()).toHaveLength(4);
  });

  it('keeps the whole batch when the handler throws, and delivers it again once it recovers', async () => {
    let runs = 0;
    behaviours.set('register-doi', async () => {
      runs += 1;
      if (runs === 1) throw new Error('DataCite did not answer');
      return {};
    });
    dispatcher.sendMessage('doi-registrations', 'one');
    dispatcher.sendMessage('doi-registrations', 'two');
    await vi.advanceTimersByTimeAsync(2_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(eventsOf<SQSEvent>('register-doi').map((event) => event.Records.map((record) => [record.body, record.attributes.ApproximateReceiveCount]))).toEqual([
      [['one', '1'], ['two', '1']],
      [['one', '2'], ['two', '2']],
    ]);
    expect(dispatcher.deadLetters()).toEqual([]);
  });

  it('treats an answer naming no message of the batch as a failure of the whole batch, as Lambda does', async () => {
    behaviours.set('register-doi', async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] }));
    dispatcher.sendMessage('doi-registrations', 'lost');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(messages().map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2', '3']);
    expect(dispatcher.deadLetters('registerDoi')).toHaveLength(1);
  });

  it('refuses a message for a queue no function reads', () => {
    expect(() => dispatcher.sendMessage('no-such-queue', 'x')).toThrow(/No function reads a queue named 'no-such-queue' \(queues: doi-registrations\)/);
  });
});

describe('storage events and tasks', () => {
  let dispatcher: EventDispatcher;
  const objectEvent = (key: string, bucket = 'bundles', eventName = 'ObjectCreated:Put') => ({
    eventName, bucket, key, raw: { eventName, s3: { bucket: { name: bucket }, object: { key } } } as unknown as S3EventRecord,
  });

  beforeEach(() => {
    dispatcher = startDispatcher({ functions: TEST_FUNCTIONS.filter((fn) => fn.trigger.kind === 's3' || fn.trigger.kind === 'state-machine-task') });
  });

  afterEach(async () => {
    await dispatcher.stop();
  });

  it('delivers an S3Event, one record each, for the trigger\'s bucket, events, prefix and suffix only', async () => {
    dispatcher.s3Event(objectEvent('models/resnet/1/bundle.tar.gz'));
    dispatcher.s3Event(objectEvent('models/resnet/1/other.bin'));
    dispatcher.s3Event(objectEvent('models/resnet/2/bundle.tar.gz', 'another-bucket'));
    dispatcher.s3Event(objectEvent('models/resnet/3/bundle.tar.gz', 'bundles', 'ObjectRemoved:Delete'));
    await vi.waitFor(() => expect(eventsOf('finalize-test')).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(eventsOf('finalize-test')).toEqual([{ Records: [expect.objectContaining({ s3: { bucket: { name: 'bundles' }, object: { key: 'models/resnet/1/bundle.tar.gz' } } })] }]);
  });

  it('retries a failed storage event twice, then leaves it in the dead-letter store', async () => {
    behaviours.set('finalize-test', async () => {
      throw new Error('the table did not answer');
    });
    dispatcher.s3Event(objectEvent('models/resnet/4/bundle.tar.gz'));
    await vi.waitFor(() => expect(dispatcher.deadLetters()).toHaveLength(1));
    expect(eventsOf('finalize-test')).toHaveLength(3);
    expect(dispatcher.deadLetters()[0]).toMatchObject({ functionId: 'finalizeUpload', source: 's3', attempts: 3, error: 'models/resnet/4/bundle.tar.gz: the table did not answer' });
  });

  it('runs a state-machine task on its input and answers its result; only task functions', async () => {
    behaviours.set('run-chunk', async (input) => ({ done: (input as { chunk: number }).chunk }));
    await expect(dispatcher.runTask('runChunk', { chunk: 7 })).resolves.toEqual({ done: 7 });
    await expect(dispatcher.runTask('finalizeUpload', {})).rejects.toThrow(/finalizeUpload is not a state-machine task \(its trigger is s3\)/);
  });
});
