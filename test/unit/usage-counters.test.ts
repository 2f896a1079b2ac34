import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../../functions/identity/actor';
import { DynamoUsageCounters, usageKey } from '../../functions/usage/dynamo-usage-counters';
import { UsageRecorder } from '../../functions/usage/usage-recorder';
import { startEmbeddedStores, type EmbeddedStores } from '../support/embedded-stores';

let stores: EmbeddedStores;
let counters: DynamoUsageCounters;
const warnings: { message: string; details: Record<string, unknown> }[] = [];
let recorder: UsageRecorder;
const owner = userActor('ada', 'session');
let counter = 0;
const newName = () => `usage-${(counter += 1)}`;

beforeAll(async () => {
  stores = await startEmbeddedStores();
  counters = new DynamoUsageCounters(stores.documents, stores.tableName);
  recorder = new UsageRecorder(counters, (message, details) => warnings.push({ message, details }));
}, 60_000);

afterAll(async () => {
  await stores?.close();
});

describe('usage counters (one USAGE item per model, UpdateItem ADD)', () => {
  it('start at zero, count each use, and sit beside the model record in its partition', async () => {
    const name = newName();
    await stores.registry.createModel(owner, name, { type: 'onnx' });
    expect(await counters.read(name)).toEqual({ downloads: 0, predictions: 0 });
    await Promise.all(Array.from({ length: 5 }, () => counters.count(name, 'downloads')));
    await counters.count(name, 'predictions');
    expect(await counters.read(name)).toEqual({ downloads: 5, predictions: 1 });
    expect(await stores.itemKeys(name)).toContain('USAGE');
    expect(usageKey(name)).toEqual({ PK: `MODEL#${name}`, SK: 'USAGE' });
  });

  it('a use whose work fails is not counted, and its error is thrown as it was', async () => {
    const name = newName();
    await expect(recorder.counting(name, 'predictions', async () => { throw new Error('inference failed'); })).rejects.toThrow('inference failed');
    expect(await counters.read(name)).toEqual({ downloads: 0, predictions: 0 });
    expect(await recorder.counting(name, 'predictions', async () => 'answer')).toBe('answer');
    expect(await counters.read(name)).toEqual({ downloads: 0, predictions: 1 });
  });

  it('a counter that cannot be written is logged, and the use is answered all the same', async () => {
    const broken = new UsageRecorder(new DynamoUsageCounters(stores.documents, 'no-such-table'), (message, details) => warnings.push({ message, details }));
    warnings.length = 0;
    expect(await broken.counting('any', 'downloads', async () => 42)).toBe(42);
    await expect(broken.counting('any', 'downloads', async () => { throw new Error('S3 refused'); })).rejects.toThrow('S3 refused');
    // The failed work counted nothing, so only the successful one had a count to lose.
    expect(warnings.map((warning) => [warning.message, warning.details.model, warning.details.counter])).toEqual([
      ['usage counter not written', 'any', 'downloads'],
    ]);
  });

  it('deleting the model deletes its usage item', async () => {
    const name = newName();
    await stores.registry.createModel(owner, name, { type: 'onnx' });
    await counters.count(name, 'downloads');
    await stores.removal.deleteModel(owner, name);
    expect(await stores.itemKeys(name)).not.toContain('USAGE');
    expect(await counters.read(name)).toEqual({ downloads: 0, predictions: 0 });
  });
});
