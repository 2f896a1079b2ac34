/**
 * The search pipeline over the real wire protocols (dynalite and s3rver in this process): the
 * change log the registry's writes and the indexer fill, the snapshots and pointer the indexer
 * writes, and the loader a search function answers from. The engine is the test double of the
 * SearchEngine interface (test/support/array-search-engine.ts): what is tested is what reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { userActor } from '../../../functions/identity/actor';
import { LiveSearchIndex } from '../../../functions/search/live-search-index';
import { HOLE_PATIENCE_MS, SearchChangeLog } from '../../../functions/search/search-change-log';
import { SearchIndexLoader } from '../../../functions/search/search-index-loader';
import { SearchIndexer } from '../../../functions/search/search-indexer';
import type { SearchQuery } from '../../../functions/search/search-engine';
import { SEARCH_RETRY_AFTER_SECONDS, SearchService } from '../../../functions/search/search-service';
import { SEARCH_POINTER_KEY, SearchSnapshots, type SnapshotPointer } from '../../../functions/search/search-snapshots';
import { arrayEngineKind } from '../../support/array-search-engine';
import { startEmbeddedStores, type EmbeddedStores } from '../../support/embedded-stores';
import { sampleBundle } from '../../support/tarballs';

const ada = userActor('ada', 'session');
let stores: EmbeddedStores;
let log: SearchChangeLog;
let snapshots: SearchSnapshots;
let counter = 0;

beforeAll(async () => {
  stores = await startEmbeddedStores();
  log = new SearchChangeLog(stores.documents, stores.tableName);
  snapshots = new SearchSnapshots(stores.s3, stores.bucket);
}, 60_000);
afterAll(async () => {
  await stores?.close();
});

const fresh = (prefix: string) => `${prefix}-${(counter += 1)}`;
const deps = (engine = arrayEngineKind()) => ({ engine, log, snapshots });
const loader = (engine = arrayEngineKind(), options: { pointerCheckMs?: number; now?: () => number } = {}) => new SearchIndexLoader({ ...deps(engine), pointerCheckMs: options.pointerCheckMs ?? 0, ...(options.now ? { now: options.now } : {}) });

async function pointer(): Promise<SnapshotPointer> {
  const read = await snapshots.readPointer();
  if (read.status !== 'found') throw new Error('no pointer');
  return read.pointer;
}

async function removePointer(): Promise<void> {
  await stores.s3.send(new DeleteObjectCommand({ Bucket: stores.bucket, Key: SEARCH_POINTER_KEY }));
}

describe('the change log', () => {
  it('holds a change of who may see a model before the write that made it returns: share, unshare, visibility, delete', async () => {
    const name = fresh('log-access');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'Shared digits' });
    const { sequence: before } = await log.head();
    const latest = async () => (await log.changesAfter(before)).changes.filter((change) => change.name === name).at(-1);

    await stores.registry.setAccess(ada, name, { grants: [{ user: 'bob', role: 'read' }] });
    expect((await latest())?.document).toMatchObject({ name, visibility: 'private', grantees: ['bob'] });
    await stores.registry.setAccess(ada, name, { visibility: 'public', grants: [] });
    expect((await latest())?.document).toMatchObject({ name, visibility: 'public', grantees: [] });
    await stores.registry.setAccess(ada, name, { visibility: 'private' });
    expect((await latest())?.document).toMatchObject({ visibility: 'private' });
    await stores.removal.deleteModel(ada, name);
    const removal = await latest();
    expect(removal).toMatchObject({ name });
    expect(removal?.document).toBeUndefined();
  });

  it('records the model again when an access change finds nothing to write, so repeating a request cut off before its entry heals search', async () => {
    const name = fresh('log-repeat');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'Repeated' });
    await stores.registry.setAccess(ada, name, { visibility: 'public', grants: [{ user: 'bob', role: 'read' }] });
    // The table write of the first try landed; its log entry did not (the process died between them).
    await stores.documents.send(new UpdateCommand({
      TableName: stores.tableName, Key: { PK: `MODEL#${name}`, SK: 'META' },
      UpdateExpression: 'SET visibility = :private REMOVE GSI2PK, GSI2SK', ExpressionAttributeValues: { ':private': 'private' },
    }));
    await stores.documents.send(new DeleteCommand({ TableName: stores.tableName, Key: { PK: `MODEL#${name}`, SK: 'GRANT#bob' } }));
    const { sequence: before } = await log.head();
    const latest = async () => (await log.changesAfter(before)).changes.filter((change) => change.name === name).at(-1);
    expect(await latest()).toBeUndefined();

    await stores.registry.setAccess(ada, name, { visibility: 'private', grants: [] });
    expect((await latest())?.document).toMatchObject({ name, visibility: 'private', grantees: [] });
  });

  it('numbers entries one after another, each its own number, with the head past the last', async () => {
    const name = fresh('log-seq');
    await stores.registry.createModel(ada, name, { type: 'onnx' });
    const { sequence: before } = await log.head();
    const recorded = await Promise.all([log.record(name), log.record(name), log.record(name)]);
    expect(recorded.map((change) => change.sequence).sort((a, b) => a - b)).toEqual([before + 1, before + 2, before + 3]);
    const { changes, head } = await log.changesAfter(before);
    expect(changes.map((change) => change.sequence)).toEqual([before + 1, before + 2, before + 3]);
    expect(head.sequence).toBe(before + 3);
  });

  it('trims the entries a snapshot covers and says so in the head', async () => {
    const name = fresh('log-trim');
    await stores.registry.createModel(ada, name, { type: 'onnx' });
    const first = await log.record(name);
    const second = await log.record(name);
    expect(await log.trimThrough(first.sequence)).toBeGreaterThanOrEqual(1);
    const { changes, head } = await log.changesAfter(0);
    expect(changes.map((change) => change.sequence)).not.toContain(first.sequence);
    expect(changes.map((change) => change.sequence)).toContain(second.sequence);
    expect(head.trimmedThrough).toBe(first.sequence);
  });
});

describe('applying the log: order, repeats and holes', () => {
  const doc = (name: string, title: string) => ({ name, title, keywords: [], authors: [], framework: 'ONNX', owner: 'ada', visibility: 'public' as const, grantees: [], published: false, hasDoi: false, createdAt: 'x', updatedAt: 'x', downloads: 0, predictions: 0 });

  it('applies entries in sequence order, twice to no effect, and moves its mark over an unbroken run only', async () => {
    let now = 0;
    const index = await LiveSearchIndex.rebuild({ ...deps(), now: () => now }, 'test');
    const base = index.sequence;
    index.apply([{ sequence: base + 2, name: 'a', document: doc('a', 'second'), at: 0 }, { sequence: base + 1, name: 'a', document: doc('a', 'first'), at: 0 }]);
    expect(index.engine.get('a')?.title).toBe('second');
    expect(index.sequence).toBe(base + 2);
    index.apply([{ sequence: base + 2, name: 'a', document: doc('a', 'second'), at: 0 }]);
    expect(index.sequence).toBe(base + 2);

    // base+3 taken but not yet written: base+4 is applied, the mark waits.
    index.apply([{ sequence: base + 4, name: 'b', document: doc('b', 'later'), at: 0 }]);
    expect(index.engine.get('b')?.title).toBe('later');
    expect(index.sequence).toBe(base + 2);
    // It arrives: applied in order, then the one after it again.
    index.apply([{ sequence: base + 3, name: 'b', document: doc('b', 'earlier'), at: 0 }, { sequence: base + 4, name: 'b', document: doc('b', 'later'), at: 0 }]);
    expect(index.engine.get('b')?.title).toBe('later');
    expect(index.sequence).toBe(base + 4);

    // A hole that stays open past the patience is stepped over.
    index.apply([{ sequence: base + 6, name: 'c', document: doc('c', 'c'), at: 0 }]);
    expect(index.sequence).toBe(base + 4);
    now += HOLE_PATIENCE_MS;
    index.apply([{ sequence: base + 6, name: 'c', document: doc('c', 'c'), at: 0 }]);
    expect(index.sequence).toBe(base + 6);
    index.apply([{ sequence: base + 7, name: 'c', at: 0 }]);
    expect(index.engine.get('c')).toBeUndefined();
  });
});

describe('a rebuild from the table', () => {
  it('gives each model the document its own collection gives: grants, usage, DOIs, the detected framework and all', async () => {
    const name = fresh('rebuild-full');
    // Declared PyTorch, its bundle ONNX: the framework comes from the version's manifest, which the rebuild must read too.
    await stores.registry.createModel(ada, name, { type: 'pytorch', visibility: 'public', title: 'Full', keywords: ['mnist'], authors: [{ name: 'Ada Lovelace', orcid: '0000-0002-1825-0097', role: 'creator' }], license: 'MIT', task: 'image-classification', discipline: 'Computer science', description: 'Digits' });
    await stores.direct.addVersion(ada, name, { bytes: await sampleBundle() });
    await stores.documents.send(new UpdateCommand({
      TableName: stores.tableName, Key: { PK: `MODEL#${name}`, SK: 'VER#0000000001' },
      UpdateExpression: 'SET publication = :publication',
      ExpressionAttributeValues: { ':publication': { state: 'published', doi: `10.5072/mlhub.${name}/v1`, conceptDoi: `10.5072/mlhub.${name}`, requestedAt: 'x', requestedBy: 'ada' } },
    }));
    await stores.documents.send(new PutCommand({ TableName: stores.tableName, Item: { PK: `MODEL#${name}`, SK: 'USAGE', downloads: 7, predictions: 3 } }));
    await stores.registry.setAccess(ada, name, { grants: [{ user: 'bob', role: 'read' }, { user: 'carol', role: 'write' }] });
    const private_ = fresh('rebuild-private');
    await stores.registry.createModel(ada, private_, { type: 'pytorch' });

    const rebuilt = await LiveSearchIndex.rebuild(deps(), 'test');
    for (const model of [name, private_]) expect(rebuilt.engine.get(model), model).toEqual(await log.readModel(model));
    expect(rebuilt.engine.get(name)).toMatchObject({ type: 'PyTorch', framework: 'ONNX', published: true, hasDoi: true, grantees: ['bob', 'carol'], downloads: 7, predictions: 3, latestVersion: 1, authors: [{ name: 'Ada Lovelace', orcid: '0000-0002-1825-0097' }] });
  });
});

describe('the loader a search function answers from', () => {
  it('rebuilds from the table when there is no pointer, once for calls that arrive together', async () => {
    await removePointer();
    const name = fresh('load-rebuild');
    await stores.registry.createModel(ada, name, { type: 'onnx', visibility: 'public', title: 'Rebuilt' });
    const engine = arrayEngineKind();
    const searches = loader(engine);
    const [first, second, third] = await Promise.all([searches.index(), searches.index(), searches.index()]);
    expect(first?.get(name)).toMatchObject({ name, title: 'Rebuilt', visibility: 'public' });
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(engine.counts.creates).toBe(1);
    expect(searches.state()?.origin).toEqual({ kind: 'rebuilt', reason: 'no snapshot pointer' });
  });

  it('sees create, update, share, unshare and delete at its next call: access changes from the write itself, the rest once the indexer recorded them', async () => {
    const searches = loader();
    await searches.index();
    const indexer = new SearchIndexer(deps());
    const name = fresh('fresh');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'Before' });
    await indexer.indexModels([name]);
    expect((await searches.index()).get(name)).toMatchObject({ title: 'Before', visibility: 'private', grantees: [] });

    await stores.registry.updateModel(ada, name, { title: 'After' }, 'any');
    await indexer.indexModels([name]);
    expect((await searches.index()).get(name)?.title).toBe('After');

    // No indexer run: the write recorded the change itself.
    await stores.registry.setAccess(ada, name, { grants: [{ user: 'bob', role: 'read' }] });
    expect((await searches.index()).get(name)?.grantees).toEqual(['bob']);
    expect((await searches.index()).search({ filters: {}, sort: 'name', direction: 'asc', limit: 10, q: name }, { userId: 'bob' }).total).toBe(1);
    await stores.registry.setAccess(ada, name, { grants: [] });
    expect((await searches.index()).get(name)?.grantees).toEqual([]);
    expect((await searches.index()).search({ filters: {}, sort: 'name', direction: 'asc', limit: 10, q: name }, { userId: 'bob' }).total).toBe(0);
    await stores.removal.deleteModel(ada, name);
    expect((await searches.index()).get(name)).toBeUndefined();
  });
});

describe('the snapshot lifecycle', () => {
  it('writes a snapshot and its pointer; a new loader loads it, then catches up from the log past it', async () => {
    const indexer = new SearchIndexer(deps());
    const name = fresh('snap');
    await stores.registry.createModel(ada, name, { type: 'onnx', visibility: 'public', title: 'In the snapshot' });
    const report = await indexer.indexModels([name], { forceSnapshot: true });
    const written = await pointer();
    expect(report.snapshot).toEqual(written);
    expect(written).toMatchObject({ format: 'array-test/1', sequence: report.sequence, documents: report.documents });
    expect(written.key).toMatch(/^search\/snapshots\/array-test%2F1\/\d{15}-\d+\.json\.gz$/);
    const object = await stores.s3.send(new GetObjectCommand({ Bucket: stores.bucket, Key: written.key }));
    expect((await object.Body?.transformToByteArray())?.subarray(0, 2)).toEqual(new Uint8Array([0x1f, 0x8b]));

    await stores.registry.updateModel(ada, name, { title: 'After the snapshot' }, 'any');
    await log.record(name);
    const engine = arrayEngineKind();
    const searches = loader(engine);
    expect((await searches.index()).get(name)?.title).toBe('After the snapshot');
    expect(engine.counts).toEqual({ loads: 1, creates: 0 });
    expect(searches.state()?.origin).toEqual({ kind: 'snapshot', pointer: written });
    expect(searches.state()?.sequence).toBeGreaterThan(written.sequence);
  });

  it('keeps its index while the pointer is unchanged (a conditional GET answered 304), and loads a newer snapshot than it holds', async () => {
    const name = fresh('pointer');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'one' });
    const indexer = new SearchIndexer(deps());
    await indexer.indexModels([name], { forceSnapshot: true });
    const reads: string[] = [];
    const counted = new (class extends SearchSnapshots {
      override async readPointer(etag?: string) {
        const read = await super.readPointer(etag);
        reads.push(`${etag ? 'conditional' : 'plain'} ${read.status}`);
        return read;
      }
    })(stores.s3, stores.bucket);
    let now = 0;
    const engine = arrayEngineKind();
    const searches = new SearchIndexLoader({ engine, log, snapshots: counted, pointerCheckMs: 5_000, now: () => now });
    await searches.index();
    now += 5_000;
    await searches.index();
    expect(reads).toEqual(['plain found', 'conditional unchanged']);
    expect(engine.counts.loads).toBe(1);

    await stores.registry.updateModel(ada, name, { title: 'two' }, 'any');
    const newer = (await indexer.indexModels([name], { forceSnapshot: true })).snapshot;
    // Not yet time to look again; the log brings the change meanwhile.
    now += 1_000;
    expect((await searches.index()).get(name)?.title).toBe('two');
    expect(reads).toHaveLength(2);
    now += 5_000;
    await searches.index();
    expect(reads.at(-1)).toBe('conditional found');
    // The index already holds everything the newer snapshot does: it is not loaded for nothing.
    expect(engine.counts.loads).toBe(1);
    expect(searches.state()?.sequence).toBeGreaterThanOrEqual(newer?.sequence ?? Infinity);

  });

  it('rebuilds from the table when the snapshot is corrupt, missing, or of another format; and the indexer writes a fresh one', async () => {
    const name = fresh('corrupt');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'Survives' });
    const indexer = new SearchIndexer(deps());
    await indexer.indexModels([name], { forceSnapshot: true });
    const good = await pointer();

    await stores.s3.send(new PutObjectCommand({ Bucket: stores.bucket, Key: good.key, Body: Buffer.from('not gzip at all') }));
    const afterCorruption = loader();
    expect((await afterCorruption.index()).get(name)?.title).toBe('Survives');
    expect(afterCorruption.state()?.origin).toMatchObject({ kind: 'rebuilt', reason: expect.stringMatching(/corrupt/) });

    await stores.s3.send(new DeleteObjectCommand({ Bucket: stores.bucket, Key: good.key }));
    const afterLoss = loader();
    expect((await afterLoss.index()).get(name)?.title).toBe('Survives');
    expect(afterLoss.state()?.origin).toMatchObject({ kind: 'rebuilt', reason: expect.stringMatching(/missing/) });

    await stores.s3.send(new PutObjectCommand({ Bucket: stores.bucket, Key: SEARCH_POINTER_KEY, Body: JSON.stringify({ ...good, format: 'other-engine/9' }) }));
    const otherFormat = loader();
    await otherFormat.index();
    expect(otherFormat.state()?.origin).toMatchObject({ kind: 'rebuilt', reason: expect.stringMatching(/other-engine\/9/) });

    // A new indexer (a cold start) finds the snapshot unusable too, rebuilds, and writes a fresh one at once.
    const restarted = new SearchIndexer(deps());
    await restarted.start();
    const rewritten = await pointer();
    expect(rewritten.format).toBe('array-test/1');
    expect(rewritten.key).not.toBe(good.key);
    const reloaded = loader();
    expect((await reloaded.index()).get(name)?.title).toBe('Survives');
    expect(reloaded.state()?.origin).toMatchObject({ kind: 'snapshot' });
  });

  it('rebuilds from the table when the pointer\'s sequence is not a change number, not the snapshot\'s own, or past the log\'s head (review 13c F1)', async () => {
    const name = fresh('forged');
    await stores.registry.createModel(ada, name, { type: 'onnx', visibility: 'public', title: 'Public first' });
    const indexer = new SearchIndexer(deps());
    const older = (await indexer.indexModels([name], { forceSnapshot: true })).snapshot as SnapshotPointer;
    await stores.registry.setAccess(ada, name, { visibility: 'private' });
    const good = (await indexer.indexModels([name], { forceSnapshot: true })).snapshot as SnapshotPointer;
    const later = fresh('forged-later');
    await stores.registry.createModel(ada, later, { type: 'onnx', title: 'After the snapshot' });
    await log.record(later);
    const { sequence: head } = await log.head();
    // A snapshot whose own sequence is past the log (a table restored from an older backup).
    const ahead = await snapshots.write(arrayEngineKind().create().serialize(), { format: good.format, sequence: head + 1_000, documents: 0 });
    const forged: Array<[string, unknown]> = [
      ['far ahead', { ...good, sequence: 99_999_999 }],
      ['a fraction', { ...good, sequence: 1.5 }],
      ['beyond safe integers', { ...good, sequence: 1e300 }],
      ['naming an older snapshot', { ...good, key: older.key }],
      ['a snapshot past the log', ahead],
    ];
    for (const [label, body] of forged) {
      await stores.s3.send(new PutObjectCommand({ Bucket: stores.bucket, Key: SEARCH_POINTER_KEY, Body: JSON.stringify(body) }));
      const searches = loader();
      const engine = await searches.index();
      expect(engine.get(name)?.visibility, label).toBe('private');
      expect(engine.get(later)?.title, label).toBe('After the snapshot');
      expect(searches.state()?.origin.kind, label).toBe('rebuilt');
      expect(searches.state()?.sequence, label).toBeLessThanOrEqual((await log.head()).sequence);
    }
    // The indexer, starting on the forged pointer, rebuilds and moves the pointer to a sound snapshot.
    const restarted = new SearchIndexer(deps());
    await restarted.start();
    const rewritten = await pointer();
    expect(rewritten.sequence).toBeLessThanOrEqual((await log.head()).sequence);
    const reloaded = loader();
    expect((await reloaded.index()).get(name)?.visibility).toBe('private');
    expect(reloaded.state()?.origin.kind).toBe('snapshot');
  });

  it('trims the log through the previous snapshot and deletes the one before it; a loader left behind reloads', async () => {
    const name = fresh('trim');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'v1' });
    const indexer = new SearchIndexer(deps());
    const first = (await indexer.indexModels([name], { forceSnapshot: true })).snapshot as SnapshotPointer;
    const behind = loader();
    await behind.index();
    expect(behind.state()?.sequence).toBe(first.sequence);

    await stores.registry.updateModel(ada, name, { title: 'v2' }, 'any');
    const second = (await indexer.indexModels([name], { forceSnapshot: true })).snapshot as SnapshotPointer;
    await stores.registry.updateModel(ada, name, { title: 'v3' }, 'any');
    const third = await indexer.indexModels([name], { forceSnapshot: true });
    // The log is trimmed through the second snapshot; the first snapshot's object is gone.
    expect((await log.head()).trimmedThrough).toBe(second.sequence);
    expect(await stores.objectKeys('search/snapshots/')).not.toContain(first.key);
    expect(await stores.objectKeys('search/snapshots/')).toContain(second.key);

    // A loader still at the first snapshot finds the log trimmed past it, and moves to the newest one.
    expect((await behind.index()).get(name)?.title).toBe('v3');
    expect(behind.state()?.origin).toEqual({ kind: 'snapshot', pointer: third.snapshot });
  });

  it('records the batch in the log even when the index cannot be kept, and says why instead of failing the batch', async () => {
    const name = fresh('broken-engine');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'Logged anyway' });
    const broken = { ...arrayEngineKind(), create: () => { throw new Error('out of memory'); }, load: () => { throw new Error('out of memory'); } };
    const report = await new SearchIndexer({ ...deps(), engine: broken }).indexModels([name]);
    expect(report).toMatchObject({ failed: [], recorded: 1, indexError: expect.objectContaining({ message: 'out of memory' }) });
    expect((await log.changesAfter(0)).changes.filter((change) => change.name === name).at(-1)?.document?.title).toBe('Logged anyway');
  });

  it('starts once however many callers ask at once: one rebuild, one snapshot', async () => {
    await removePointer();
    const engine = arrayEngineKind();
    const indexer = new SearchIndexer(deps(engine));
    const [first, second] = await Promise.all([indexer.start(), indexer.indexModels([])]);
    expect(engine.counts.creates).toBe(1);
    expect(first.sequence).toBe(second.sequence);
    expect((await pointer()).sequence).toBe(first.sequence);
  });

  it('goes on serving from the change log while S3 fails, and does not rebuild for an S3 failure', async () => {
    const name = fresh('s3-down');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'before' });
    await new SearchIndexer(deps()).indexModels([name], { forceSnapshot: true });
    let down = false;
    const failures: Error[] = [];
    const flaky = new (class extends SearchSnapshots {
      override async readPointer(etag?: string) {
        if (down) throw Object.assign(new Error('S3 unreachable'), { name: 'TimeoutError' });
        return super.readPointer(etag);
      }
      override async readSnapshot(key: string) {
        if (down) throw Object.assign(new Error('S3 unreachable'), { name: 'TimeoutError' });
        return super.readSnapshot(key);
      }
    })(stores.s3, stores.bucket);
    const engine = arrayEngineKind();
    const searches = new SearchIndexLoader({ engine, log, snapshots: flaky, pointerCheckMs: 0, onPointerError: (error) => failures.push(error) });
    await searches.index();
    down = true;
    await stores.registry.updateModel(ada, name, { title: 'during the outage' }, 'any');
    await log.record(name);
    expect((await searches.index()).get(name)?.title).toBe('during the outage');
    expect(failures.map((error) => error.message)).toEqual(['S3 unreachable']);
    expect(engine.counts.creates).toBe(0);
  });

  it('rebuilds from the table when S3 cannot read the pointer or the snapshot (an error that may be for ever), and the indexer overwrites both', async () => {
    const name = fresh('s3-broken');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'found anyway' });
    await new SearchIndexer(deps()).indexModels([name], { forceSnapshot: true });
    const broken = (what: 'pointer' | 'snapshot') => new (class extends SearchSnapshots {
      override async readPointer(etag?: string) {
        if (what === 'pointer') throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' });
        return super.readPointer(etag);
      }
      override async readSnapshot(key: string) {
        if (what === 'snapshot') throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' });
        return super.readSnapshot(key);
      }
    })(stores.s3, stores.bucket);
    for (const what of ['pointer', 'snapshot'] as const) {
      const cold = new SearchIndexLoader({ engine: arrayEngineKind(), log, snapshots: broken(what), pointerCheckMs: 0 });
      expect((await cold.index()).get(name)?.title).toBe('found anyway');
      expect(cold.state()?.origin).toMatchObject({ kind: 'rebuilt', reason: expect.stringMatching(/could not be read \(We encountered an internal error\)/) });
    }
    const before = await pointer();
    const indexer = new SearchIndexer({ ...deps(), snapshots: broken('pointer') });
    expect((await indexer.start()).origin).toMatchObject({ kind: 'rebuilt', reason: expect.stringMatching(/pointer could not be read/) });
    expect((await pointer()).key).not.toBe(before.key);
  });

  it('answers 503 search_unavailable with Retry-After when the rebuild fails too, and tries again at the next call', async () => {
    const name = fresh('table-down');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'back again' });
    await removePointer();
    let tableDown = true;
    const flakyLog = new (class extends SearchChangeLog {
      override async scanModels() {
        if (tableDown) throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' });
        return super.scanModels();
      }
    })(stores.documents, stores.tableName);
    const searches = new SearchIndexLoader({ engine: arrayEngineKind(), log: flakyLog, snapshots, pointerCheckMs: 0 });
    const service = new SearchService(() => searches.index());
    const query: SearchQuery = { filters: {}, sort: 'name', direction: 'asc', limit: 5 };
    const failure = await service.searchModels(ada, query).then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'unavailable', code: 'search_unavailable', headers: { 'retry-after': String(SEARCH_RETRY_AFTER_SECONDS) } });
    tableDown = false;
    expect((await searches.index()).get(name)?.title).toBe('back again');
  });

  it('rebuilds when told the log missed changes (an unclean local stop), though the snapshot is sound, and moves the pointer to the rebuilt one', async () => {
    const name = fresh('unclean');
    await stores.registry.createModel(ada, name, { type: 'onnx', title: 'public then private' });
    await stores.registry.setAccess(ada, name, { visibility: 'public' });
    await new SearchIndexer(deps()).indexModels([name], { forceSnapshot: true });
    const before = await pointer();
    // The table changes and no log entry says so: the process died between the two.
    await stores.documents.send(new UpdateCommand({
      TableName: stores.tableName, Key: { PK: `MODEL#${name}`, SK: 'META' },
      UpdateExpression: 'SET visibility = :private REMOVE GSI2PK, GSI2SK', ExpressionAttributeValues: { ':private': 'private' },
    }));
    const trusting = new SearchIndexLoader({ ...deps(), pointerCheckMs: 0 });
    expect((await trusting.index()).get(name)?.visibility).toBe('public');

    const rebuilt = await new SearchIndexer(deps()).start({ rebuild: 'the previous run did not stop cleanly' });
    expect(rebuilt.origin).toEqual({ kind: 'rebuilt', reason: 'the previous run did not stop cleanly' });
    expect((await pointer()).key).not.toBe(before.key);
    const searches = new SearchIndexLoader({ ...deps(), pointerCheckMs: 0 });
    expect((await searches.index()).get(name)?.visibility).toBe('private');
    expect(searches.state()?.origin).toMatchObject({ kind: 'snapshot' });
  });

  it('writes a snapshot after the policy\'s number of changes, and after its time with changes pending', async () => {
    let now = 1_000_000;
    // Six log entries: the registry's own for the three creates, then the indexer's for each model it indexes.
    const indexer = new SearchIndexer({ ...deps(), policy: { everyChanges: 6, everyMs: 60_000 }, now: () => now });
    await indexer.start();
    const names = [fresh('policy'), fresh('policy'), fresh('policy')];
    for (const name of names) await stores.registry.createModel(ada, name, { type: 'onnx' });
    expect((await indexer.indexModels(names.slice(0, 2))).snapshot).toBeUndefined();
    expect((await indexer.indexModels(names.slice(2))).snapshot).toBeDefined();
    await stores.registry.updateModel(ada, names[0] as string, { title: 'later' }, 'any');
    expect((await indexer.indexModels([names[0] as string])).snapshot).toBeUndefined();
    now += 60_000;
    expect((await indexer.indexModels([])).snapshot).toBeDefined();
    now += 60_000;
    expect((await indexer.indexModels([])).snapshot).toBeUndefined();
  });
});
