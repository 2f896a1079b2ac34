import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../../../functions/identity/actor';
import { DatasetFinalizer } from '../../../functions/datasets/dataset-finalizer';
import type { DatasetRecord } from '../../../functions/datasets/dataset-records';
import { DatasetUploads } from '../../../functions/datasets/dataset-uploads';
import { removeDataset } from '../../../functions/datasets/dataset-removal';
import type { DatasetStore } from '../../../functions/datasets/dataset-store';
import { DynamoDatasetStore } from '../../../functions/datasets/dynamo-dataset-store';
import { PendingSweep } from '../../../functions/versions/pending-sweep';
import { TEST_UPLOAD_LIMITS, startEmbeddedStores, type EmbeddedStores } from '../../support/embedded-stores';

let stores: EmbeddedStores;
let store: DynamoDatasetStore;
let counter = 0;
const HOUR = 3600_000;

/** A pending dataset record as DatasetUploads.create writes one, without touching S3. */
function record(owner: string, createdAt: string, fields: Partial<DatasetRecord> = {}): DatasetRecord {
  const id = `ds_${String((counter += 1)).padStart(24, '0')}`;
  const key = `datasets/${id}/data`;
  return {
    id, owner, filename: 'rows.csv', size: 10, status: 'pending', visibility: 'private', createdAt, updatedAt: createdAt, dataKey: key,
    upload: { id: 'a'.repeat(24), key, size: 10, mode: 'single', state: 'open', expiresAt: new Date(Date.parse(createdAt) + HOUR).toISOString() },
    ...fields,
  };
}

beforeAll(async () => {
  stores = await startEmbeddedStores();
  store = new DynamoDatasetStore(stores.documents, stores.tableName);
});
afterAll(async () => {
  await stores?.close();
});

describe('the DynamoDB dataset store', () => {
  it('keeps a record, lists it under its owner newest first a page at a time, and marks it pending for the sweep', async () => {
    const made = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'].map((at) => record('lister', at));
    for (const dataset of made) await store.put(dataset);
    await store.put(record('someone-else', '2026-01-04T00:00:00.000Z'));
    expect(await store.get(made[0]?.id as string)).toEqual(made[0]);
    const first = await store.listByOwner('lister', { limit: 2 });
    expect(first.datasets.map((dataset) => dataset.id)).toEqual([made[2]?.id, made[1]?.id]);
    expect(first.last).toBeDefined();
    const second = await store.listByOwner('lister', { limit: 2, before: first.last as string });
    expect(second.datasets.map((dataset) => dataset.id)).toEqual([made[0]?.id]);
    expect(second.last).toBeUndefined();
    expect((await store.listPending(1000)).map((mark) => mark.id)).toEqual(expect.arrayContaining(made.map((dataset) => dataset.id)));
    await expect(store.put(made[0] as DatasetRecord)).rejects.toThrow(/conditional/i);
  });

  it('lets one claimant hold a pending dataset, the same one renew, anyone take a lapsed claim; a move out of pending waits for no claim and drops the mark', async () => {
    const dataset = record('claims', '2026-02-01T00:00:00.000Z');
    await store.put(dataset);
    expect(await store.claim(dataset.id, 'a', '2026-02-01T00:01:00.000Z', '2026-02-01T00:00:00.000Z')).toBe(true);
    expect(await store.claim(dataset.id, 'b', '2026-02-01T00:01:00.000Z', '2026-02-01T00:00:30.000Z')).toBe(false);
    expect(await store.claim(dataset.id, 'a', '2026-02-01T00:02:00.000Z', '2026-02-01T00:00:30.000Z')).toBe(true);
    const aborted = { status: 'aborted', reason: 'test' } as const;
    expect(await store.transition(dataset.id, ['pending'], aborted, '2026-02-01T00:00:40.000Z', { unclaimedAt: '2026-02-01T00:00:40.000Z' })).toBe(false);
    expect(await store.claim(dataset.id, 'b', '2026-02-01T00:04:00.000Z', '2026-02-01T00:03:00.000Z')).toBe(true);
    expect(await store.transition(dataset.id, ['pending'], aborted, '2026-02-01T00:05:00.000Z', { unclaimedAt: '2026-02-01T00:05:00.000Z' })).toBe(true);
    expect(await store.get(dataset.id)).toMatchObject({ status: 'aborted', reason: 'test', updatedAt: '2026-02-01T00:05:00.000Z' });
    expect(await store.transition(dataset.id, ['pending'], { status: 'rejected', reason: 'late' }, '2026-02-01T00:06:00.000Z')).toBe(false);
    expect(await store.claim(dataset.id, 'c', '2026-02-01T00:08:00.000Z', '2026-02-01T00:07:00.000Z')).toBe(false);
    expect((await store.listPending(1000)).map((mark) => mark.id)).not.toContain(dataset.id);
  });

  it('moves the upload session only from the state named, and removes a dataset with its mark', async () => {
    const dataset = record('removal', '2026-03-01T00:00:00.000Z');
    await store.put(dataset);
    expect(await store.setUploadState(dataset.id, 'completed', 'aborted', '2026-03-01T00:01:00.000Z')).toBe(false);
    expect(await store.setUploadState(dataset.id, 'open', 'completed', '2026-03-01T00:01:00.000Z')).toBe(true);
    expect((await store.get(dataset.id))?.upload.state).toBe('completed');
    expect(await store.remove(dataset.id)).toMatchObject({ id: dataset.id, status: 'pending' });
    expect(await store.get(dataset.id)).toBeUndefined();
    expect(await store.remove(dataset.id)).toBeUndefined();
    expect((await store.listPending(1000)).map((mark) => mark.id)).not.toContain(dataset.id);
  });
});

describe('the pending sweep, for datasets', () => {
  it('aborts a dataset whose upload expired without its bytes, inspects one whose bytes arrived, and drops a stale mark', async () => {
    let now = new Date();
    const clock = () => now;
    const finalizer = new DatasetFinalizer({ datasets: store, objects: stores.bundles, maxPlainBytes: 1024 ** 3, now: clock });
    const uploads = new DatasetUploads({ datasets: store, objects: stores.bundles, finalizer, limits: TEST_UPLOAD_LIMITS, now: clock });
    const sweep = new PendingSweep({ removal: stores.removal, versions: stores.versionStore, sessions: stores.sessionStore, bundles: stores.bundles, finalizer: stores.finalizer, datasets: { store, finalizer }, now: clock });
    const owner = userActor('sweeper', 'session');
    const bytes = Buffer.from('a,b\n1,2\n3,4\n');
    const abandoned = await uploads.create(owner, { filename: 'gone.csv', size: 100 });
    const stored = await uploads.create(owner, { filename: 'kept.csv', size: bytes.length });
    expect((await fetch(stored.urls[0]?.url as string, { method: 'PUT', body: bytes, headers: { ...stored.urls[0]?.headers } })).status).toBe(200);
    // A mark whose record is gone (a create that died between the two writes).
    const stale = record('sweeper', new Date(now.getTime() - 2 * HOUR).toISOString());
    await store.put(stale);
    await stores.documents.send(new DeleteCommand({ TableName: stores.tableName, Key: { PK: `DATASET#${stale.id}`, SK: 'META' } }));
    expect((await store.listPending(1000)).map((mark) => mark.id)).toContain(stale.id);

    now = new Date(now.getTime() + TEST_UPLOAD_LIMITS.sessionSeconds * 1000 + 1000);
    const report = await sweep.sweep(Date.now() + 60_000);
    // Earlier tests' pending records expired too: they are counted with the abandoned upload.
    expect(report.datasets.expired).toBeGreaterThanOrEqual(1);
    expect(report.datasets.checked).toEqual({ ready: 1 });
    expect(await store.get(abandoned.dataset.id)).toMatchObject({ status: 'aborted', reason: expect.stringMatching(/expired/), upload: { state: 'aborted' } });
    expect(await store.get(stored.dataset.id)).toMatchObject({ status: 'ready', rowCount: 2 });
    const marks = (await store.listPending(1000)).map((mark) => mark.id);
    expect(marks).not.toContain(stale.id);
    expect(marks).not.toContain(abandoned.dataset.id);
    expect(marks).not.toContain(stored.dataset.id);
  });
});

describe('the finalizer, on files whose schema or size the record cannot take', () => {
  const owner = userActor('bounds', 'session');
  /** Uploads `bytes` as a dataset and runs the finalizer on it, as complete does. */
  async function finalized(filename: string, bytes: Buffer, maxPlainBytes = 1024 ** 3): Promise<DatasetRecord> {
    const finalizer = new DatasetFinalizer({ datasets: store, objects: stores.bundles, maxPlainBytes });
    const uploads = new DatasetUploads({ datasets: store, objects: stores.bundles, finalizer, limits: TEST_UPLOAD_LIMITS });
    const created = await uploads.create(owner, { filename, size: bytes.length });
    expect((await fetch(created.urls[0]?.url as string, { method: 'PUT', body: bytes, headers: { ...created.urls[0]?.headers } })).status).toBe(200);
    await finalizer.finalize(created.dataset.id, 'test');
    return (await store.get(created.dataset.id)) as DatasetRecord;
  }

  it('rejects JSON Lines rows nested deeper than a prediction input may be, naming the depth', async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}\n`;
    expect(await finalized('deep.jsonl', Buffer.from(deep.repeat(2)))).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/at most 8 \(nested at most 8 levels deep\)/) });
    // Eight levels is what predict takes: still a dataset.
    const eight = `${'['.repeat(8)}1${']'.repeat(8)}\n`;
    expect(await finalized('eight.jsonl', Buffer.from(eight))).toMatchObject({ status: 'ready', schema: { kind: 'array', shape: [1, 1, 1, 1, 1, 1, 1, 1, 1] } });
  });

  it('rejects column names too long for the record (a 500 KB header once left the dataset pending for ever), naming the longest', async () => {
    const names = Array.from({ length: 1000 }, (_, index) => `${'c'.repeat(index === 7 ? 600 : 500)}${index}`);
    const csv = Buffer.from(`${names.join(',')}\n${names.map(() => '1').join(',')}\n`);
    expect(await finalized('wide.csv', csv)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/shorten the column names \(column 7 has 601 characters\)/) });
  });

  it('rejects a gzip upload that decompresses past the unpacked limit, and keeps no plain copy', async () => {
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(Buffer.concat([Buffer.from('a\n'), Buffer.alloc(4 << 20, '1\n')]));
    const dataset = await finalized('bomb.csv.gz', bomb, 1 << 20);
    expect(dataset).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/decompresses to more than 1048576 bytes/) });
    expect(await stores.bundles.stat(`datasets/${dataset.id}/plain`)).toBeUndefined();
  });
});

describe('the pending sweep, when one item throws', () => {
  it('sweeps every other pending dataset, counts the failure and reports the item', async () => {
    const finalizer = new DatasetFinalizer({ datasets: store, objects: stores.bundles, maxPlainBytes: 1024 ** 3 });
    const uploads = new DatasetUploads({ datasets: store, objects: stores.bundles, finalizer, limits: TEST_UPLOAD_LIMITS });
    const owner = userActor('isolated', 'session');
    const bytes = Buffer.from('a\n1\n');
    const stored = [];
    for (const name of ['first.csv', 'second.csv', 'third.csv']) {
      const created = await uploads.create(owner, { filename: name, size: bytes.length });
      expect((await fetch(created.urls[0]?.url as string, { method: 'PUT', body: bytes, headers: { ...created.urls[0]?.headers } })).status).toBe(200);
      stored.push(created.dataset.id);
    }
    const broken = stored[1] as string;
    class BrokenFor extends DatasetFinalizer {
      override finalize(id: string, claimant: string, options: { until?: Date } = {}): ReturnType<DatasetFinalizer['finalize']> {
        return id === broken ? Promise.reject(new Error('the store failed')) : super.finalize(id, claimant, options);
      }
    }
    const errors: unknown[] = [];
    const sweep = new PendingSweep({
      removal: stores.removal, versions: stores.versionStore, sessions: stores.sessionStore, bundles: stores.bundles, finalizer: stores.finalizer,
      datasets: { store, finalizer: new BrokenFor({ datasets: store, objects: stores.bundles, maxPlainBytes: 1024 ** 3 }) },
      onItemError: (item, error) => errors.push({ item, message: (error as Error).message }),
    });
    const report = await sweep.sweep(Date.now() + 60_000);
    expect(report.datasets.failed).toBe(1);
    expect(errors).toEqual([{ item: { kind: 'dataset', id: broken }, message: 'the store failed' }]);
    expect(await store.get(stored[0] as string)).toMatchObject({ status: 'ready' });
    expect(await store.get(stored[2] as string)).toMatchObject({ status: 'ready' });
    expect(await store.get(broken)).toMatchObject({ status: 'pending' });
  });
});

describe('two deletes of one dataset at once', () => {
  it('the one that finds the items already removed answers 404 dataset_not_found: one delete reports deleting', async () => {
    const dataset = record('racer', '2026-04-01T00:00:00.000Z');
    await store.put(dataset);
    // Both read the record before either removed it; the other delete removed it first.
    const seenBefore: DatasetStore = Object.assign(Object.create(store) as DatasetStore, { get: async () => dataset });
    expect((await removeDataset({ datasets: store, objects: stores.bundles }, userActor('racer', 'session'), dataset.id)).dataset.id).toBe(dataset.id);
    await expect(removeDataset({ datasets: seenBefore, objects: stores.bundles }, userActor('racer', 'session'), dataset.id)).rejects.toMatchObject({ code: 'dataset_not_found' });
  });
});
