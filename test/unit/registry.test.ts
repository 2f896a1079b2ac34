import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { S3BundleStore } from '../../functions/bundles/s3-bundle-store';
import { AppError } from '../../functions/errors/app-error';
import { ModelRemoval } from '../../functions/registry/model-removal';
import { userActor, type Actor } from '../../functions/identity/actor';
import { startEmbeddedStores, steppingClock, type EmbeddedStores } from '../support/embedded-stores';
import { makeTarGz, sampleBundle } from '../support/tarballs';

const alice: Actor = userActor('alice', 'session');
const bob: Actor = userActor('bob', 'session');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  expect(outcome).toBeInstanceOf(AppError);
  return outcome as AppError;
}

let stores: EmbeddedStores;
beforeAll(async () => {
  stores = await startEmbeddedStores({ now: steppingClock() });
});
afterAll(async () => {
  await stores?.close();
});

describe('Registry: records', () => {
  it('creates a model owned by the actor, private, at revision 1', async () => {
    const model = await stores.registry.createModel(alice, 'rec-create', { model: 'rec-create', type: 'tf', meta: { layers: 3 } });
    expect(model).toMatchObject({ name: 'rec-create', type: 'TensorFlow', meta: { layers: 3 }, owner: 'alice', visibility: 'private', revision: 1, state: 'active' });
    const read = await stores.registry.getModel(alice, 'rec-create');
    expect(read.model).toEqual(model);
    expect(read.versions).toEqual([]);
  });

  it('refuses a second model with the same name', async () => {
    await stores.registry.createModel(alice, 'rec-dup', { type: 'onnx' });
    const error = await failure(stores.registry.createModel(alice, 'rec-dup', { type: 'onnx' }));
    expect([error.kind, error.code]).toEqual(['conflict', 'model_exists']);
  });

  it('refuses a body that names another model, or has no type', async () => {
    expect((await failure(stores.registry.createModel(alice, 'rec-a', { model: 'rec-b', type: 'onnx' }))).code).toBe('name_mismatch');
    expect((await failure(stores.registry.createModel(alice, 'rec-a', { meta: {} }))).code).toBe('missing_type');
    expect(await stores.itemKeys('rec-a')).toEqual([]);
  });

  it('updates given fields, keeps the others, and bumps the revision', async () => {
    await stores.registry.createModel(alice, 'rec-upd', { type: 'onnx', description: 'first', meta: { a: 1 } });
    const updated = await stores.registry.updateModel(alice, 'rec-upd', { meta: { a: 2 } }, 'any');
    expect(updated).toMatchObject({ description: 'first', meta: { a: 2 }, revision: 2 });
  });

  it('applies an update only to the revision the client read', async () => {
    await stores.registry.createModel(alice, 'rec-lock', { type: 'onnx' });
    await stores.registry.updateModel(alice, 'rec-lock', { description: 'by A' }, [1]);
    const stale = await failure(stores.registry.updateModel(alice, 'rec-lock', { description: 'by B' }, [1]));
    expect([stale.kind, stale.code]).toEqual(['stale', 'revision_mismatch']);
    expect((await stores.registry.getModel(alice, 'rec-lock')).model.description).toBe('by A');
  });

  it('reports a missing model as not found for every operation', async () => {
    const attempts = [
      () => stores.registry.getModel(alice, 'rec-none'),
      () => stores.registry.updateModel(alice, 'rec-none', { type: 'onnx' }, 'any'),
      () => stores.removal.deleteModel(alice, 'rec-none'),
      () => stores.direct.addVersion(alice, 'rec-none', { bytes: Buffer.alloc(1) }),
      () => stores.versions.getBundle(alice, 'rec-none'),
    ];
    for (const attempt of attempts) expect((await failure(attempt())).code).toBe('model_not_found');
  });
});

describe('Registry: versions', () => {
  it('numbers uploads 1, 2, … and serves each version byte-exact', async () => {
    await stores.registry.createModel(alice, 'ver-seq', { type: 'onnx' });
    const first = await sampleBundle('one');
    const second = await sampleBundle('two');
    const v1 = await stores.direct.addVersion(alice, 'ver-seq', { bytes: first, filename: 'one.tar.gz' });
    const v2 = await stores.direct.addVersion(alice, 'ver-seq', { bytes: second });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1).toMatchObject({ status: 'ready', sha256: sha256(first), size: first.length, filename: 'one.tar.gz', createdBy: 'alice' });
    expect((await stores.versions.getBundle(alice, 'ver-seq')).bytes).toEqual(second);
    expect((await stores.versions.getBundle(alice, 'ver-seq', 1)).bytes).toEqual(first);
    const { model, versions } = await stores.registry.getModel(alice, 'ver-seq');
    expect(model.latestVersion).toBe(2);
    expect(versions.map((version) => [version.version, version.status])).toEqual([[1, 'ready'], [2, 'ready']]);
    // Each upload has a key of its own, never reachable from another upload's URL.
    const keys = await stores.objectKeys('models/ver-seq/');
    expect(keys).toEqual([v1.bundleKey, (await stores.versions.downloadableVersion(alice, 'ver-seq')).bundleKey].sort());
    expect(keys.every((key) => /^models\/ver-seq\/[12]\/[0-9a-f]{24}\/bundle\.tar\.gz$/.test(key))).toBe(true);
  });

  it('gives concurrent uploads distinct versions and ends on the highest', async () => {
    await stores.registry.createModel(alice, 'ver-race', { type: 'onnx' });
    const bundles = await Promise.all([1, 2, 3, 4, 5].map((i) => sampleBundle(`m${i}`)));
    const versions = await Promise.all(bundles.map((bytes) => stores.direct.addVersion(alice, 'ver-race', { bytes })));
    expect(versions.map((version) => version.version).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await stores.registry.getModel(alice, 'ver-race')).model.latestVersion).toBe(5);
  });

  it('writes nothing for a bundle that fails the checks', async () => {
    await stores.registry.createModel(alice, 'ver-bad', { type: 'onnx' });
    const error = await failure(stores.direct.addVersion(alice, 'ver-bad', { bytes: await makeTarGz([{ name: '../escape', content: 'x' }]) }));
    expect(error.code).toBe('invalid_bundle');
    expect(await stores.itemKeys('ver-bad')).toEqual(['META']);
    expect(await stores.objectKeys('models/ver-bad/')).toEqual([]);
    expect((await stores.registry.getModel(alice, 'ver-bad')).model.versionCounter).toBe(0);
  });

  it('leaves no version behind when storage fails mid-upload', async () => {
    await stores.registry.createModel(alice, 'ver-outage', { type: 'onnx' });
    await stores.stopS3();
    try {
      await expect(stores.direct.addVersion(alice, 'ver-outage', { bytes: await sampleBundle() })).rejects.toThrow();
    } finally {
      await stores.restartS3();
    }
    // The number is spent, the version ended with its reason, and no bytes were stored.
    expect(await stores.versionStore.get('ver-outage', 1)).toMatchObject({ status: 'aborted', reason: 'The bundle could not be stored' });
    expect(await stores.objectKeys('models/ver-outage/')).toEqual([]);
    expect((await stores.registry.getModel(alice, 'ver-outage')).versions).toEqual([]);
    const retried = await stores.direct.addVersion(alice, 'ver-outage', { bytes: await sampleBundle() });
    expect(retried).toMatchObject({ status: 'ready', version: 2 });
    expect((await failure(stores.versions.getBundle(alice, 'ver-outage', 1))).code).toBe('version_gone');
  });

  it('answers missing versions and empty models precisely', async () => {
    await stores.registry.createModel(alice, 'ver-empty', { type: 'onnx' });
    expect((await failure(stores.versions.getBundle(alice, 'ver-empty'))).code).toBe('no_bundle');
    await stores.direct.addVersion(alice, 'ver-empty', { bytes: await sampleBundle() });
    expect((await failure(stores.versions.getBundle(alice, 'ver-empty', 9))).code).toBe('version_not_found');
  });
});

describe('Registry: delete', () => {
  it('finishes a delete whose caller died, and trusts only the record, never the index, to say one is under way', async () => {
    await stores.registry.createModel(alice, 'del-died', { type: 'onnx' });
    await stores.direct.addVersion(alice, 'del-died', { bytes: await sampleBundle() });
    await stores.models.beginDelete('del-died', new Date(Date.now() - 120_000).toISOString());
    // An index that still lists a delete its table no longer records (as dynalite's may after a crash).
    await stores.registry.createModel(alice, 'del-stale', { type: 'onnx' });
    await stores.direct.addVersion(alice, 'del-stale', { bytes: await sampleBundle() });
    await stores.models.beginDelete('del-stale', new Date(Date.now() - 120_000).toISOString());
    // What a lagging index answers: read before the table moved on.
    const staleListing = await stores.models.listDeleting(100);
    await stores.documents.send(new UpdateCommand({ TableName: 'mlhub-test', Key: { PK: 'MODEL#del-stale', SK: 'META' }, UpdateExpression: 'SET #state = :active', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':active': 'active' } }));
    const laggingIndex = Object.assign(Object.create(stores.models) as typeof stores.models, { listDeleting: async () => staleListing });
    const removal = new ModelRemoval({ models: laggingIndex, bundles: new S3BundleStore(stores.s3, stores.bucket), versions: stores.versionRemoval, urlLifetimeMs: 60_000 });

    expect(await removal.finishInterrupted(new Date().toISOString(), 100)).toEqual(['del-died']);
    expect((await stores.models.getModelRecord('del-died'))?.state).toBe('deleted');
    expect(await stores.storedBytes('models/del-died/')).toEqual([]);
    expect((await stores.versionStore.get('del-stale', 1))?.status).toBe('ready');
    expect(await stores.storedBytes('models/del-stale/')).toHaveLength(1);
  });

  it('removes the record, every version and every object, and only that model', async () => {
    await stores.registry.createModel(alice, 'del-m', { type: 'onnx' });
    await stores.registry.createModel(alice, 'del-m2', { type: 'onnx' });
    await stores.direct.addVersion(alice, 'del-m', { bytes: await sampleBundle() });
    await stores.direct.addVersion(alice, 'del-m', { bytes: await sampleBundle() });
    await stores.direct.addVersion(alice, 'del-m2', { bytes: await sampleBundle() });
    expect(await stores.removal.deleteModel(alice, 'del-m')).toEqual({ name: 'del-m', versions: 2, objects: 2, withdrawn: false, versionsWithdrawn: 0 });
    // What stays is the tombstones: the record keeps the counter, the versions say what happened.
    expect(await stores.itemKeys('del-m')).toEqual(['META', 'VER#0000000001', 'VER#0000000002']);
    expect((await stores.versionStore.list('del-m')).map((version) => version.status)).toEqual(['deleted', 'deleted']);
    expect(await stores.storedBytes('models/del-m/')).toEqual([]);
    expect(await stores.objectKeys('models/del-m2/')).toHaveLength(1);
    expect((await failure(stores.registry.getModel(alice, 'del-m'))).code).toBe('model_not_found');
    // The name is free again, and its numbers go on from where the deleted model stopped.
    await stores.registry.createModel(bob, 'del-m', { type: 'onnx' });
    expect((await failure(stores.versions.getBundle(bob, 'del-m', 2))).code).toBe('version_gone');
    expect((await stores.direct.addVersion(bob, 'del-m', { bytes: await sampleBundle() })).version).toBe(3);
    expect((await stores.registry.getModel(bob, 'del-m')).versions.map((version) => version.version)).toEqual([3]);
  });

  it('can be retried after an interruption, and hides the model meanwhile', async () => {
    await stores.registry.createModel(alice, 'del-retry', { type: 'onnx' });
    await stores.direct.addVersion(alice, 'del-retry', { bytes: await sampleBundle() });
    await stores.stopS3();
    try {
      await expect(stores.removal.deleteModel(alice, 'del-retry')).rejects.toThrow();
    } finally {
      await stores.restartS3();
    }
    expect((await failure(stores.registry.getModel(alice, 'del-retry'))).code).toBe('model_not_found');
    expect((await failure(stores.direct.addVersion(alice, 'del-retry', { bytes: await sampleBundle() }))).code).toBe('model_not_found');
    expect((await failure(stores.registry.createModel(alice, 'del-retry', { type: 'onnx' }))).code).toBe('model_exists');
    expect(await stores.removal.deleteModel(alice, 'del-retry')).toMatchObject({ objects: 1 });
    expect(await stores.itemKeys('del-retry')).toEqual(['META', 'VER#0000000001']);
    expect(await stores.storedBytes('models/del-retry/')).toEqual([]);
    await expect(stores.registry.createModel(alice, 'del-retry', { type: 'onnx' })).resolves.toMatchObject({ revision: 1 });
  });
});

describe('Registry: listing', () => {
  it('pages through own and public models newest first, each once', async () => {
    const lister: Actor = userActor('lister', 'session');
    const names = ['list-a', 'list-b', 'list-c', 'list-d', 'list-e'];
    for (const name of names) await stores.registry.createModel(lister, name, { type: 'onnx' });
    // Another user's public model, and one of the lister's own made public: each must appear once.
    const now = new Date().toISOString();
    await stores.models.createModel({ name: 'list-public', type: 'ONNX', meta: {}, owner: 'someone', visibility: 'public', createdAt: '2030-01-01T00:00:00.000Z', updatedAt: now, revision: 1, versionCounter: 0, state: 'active' });
    await stores.models.createModel({ name: 'list-own-public', type: 'ONNX', meta: {}, owner: 'lister', visibility: 'public', createdAt: '2029-01-01T00:00:00.000Z', updatedAt: now, revision: 1, versionCounter: 0, state: 'active' });
    await stores.models.createModel({ name: 'list-private-other', type: 'ONNX', meta: {}, owner: 'someone', visibility: 'private', createdAt: '2031-01-01T00:00:00.000Z', updatedAt: now, revision: 1, versionCounter: 0, state: 'active' });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await stores.registry.listModels(lister, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.models.length).toBeLessThanOrEqual(2);
      seen.push(...page.models.map((model) => model.name));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    const publicNames = seen.filter((name) => !name.startsWith('list-') || ['list-public', 'list-own-public'].includes(name));
    expect(seen.filter((name) => name.startsWith('list-'))).toEqual(['list-public', 'list-own-public', 'list-e', 'list-d', 'list-c', 'list-b', 'list-a']);
    expect(publicNames).toContain('list-public');
    expect(seen).not.toContain('list-private-other');
    expect(new Set(seen).size).toBe(seen.length);
  });
});
