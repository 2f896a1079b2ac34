import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BundleStore } from '../../functions/bundles/s3-bundle-store';
import { AppError } from '../../functions/errors/app-error';
import { userActor, type Actor } from '../../functions/identity/actor';
import type { BundleStore } from '../../functions/bundles/bundle-store';
import { DirectUpload } from '../../functions/versions/direct-upload';
import { UploadSessions, type SessionStatus } from '../../functions/versions/upload-sessions';
import { VersionFinalizer } from '../../functions/versions/version-finalizer';
import { DEFAULT_BUNDLE_LIMITS } from '../../functions/bundles/bundle-limits';
import { startEmbeddedStores, TEST_UPLOAD_LIMITS, type EmbeddedStores } from '../support/embedded-stores';
import { makeTar, makeTarGz, sampleBundle } from '../support/tarballs';

const owner: Actor = userActor('uma', 'session');
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
let stores: EmbeddedStores;
let counter = 0;

async function model(): Promise<string> {
  const name = `up-${(counter += 1)}`;
  await stores.registry.createModel(owner, name, { type: 'onnx' });
  return name;
}

/** A real bundle of about `megabytes`, incompressible, so it needs several parts. */
async function bigBundle(megabytes: number): Promise<Buffer> {
  return gzipSync(await makeTar([{ name: 'm/', type: 'directory' }, { name: 'm/model.onnx', content: randomBytes(megabytes * 1024 * 1024) }]), { level: 1 });
}

/** PUTs to a presigned URL with the headers the answer lists beside it, as a client must. */
async function put(target: { url: string; headers?: Readonly<Record<string, string>> } | undefined, body: Buffer): Promise<number> {
  return (await fetch(target?.url ?? '', { method: 'PUT', body, headers: { ...target?.headers } })).status;
}

async function sendParts(status: SessionStatus, bundle: Buffer, which?: (part: number) => boolean): Promise<void> {
  const partSize = status.session.partSize ?? bundle.length;
  for (const part of status.urls) {
    const { number } = part;
    if (which && !which(number)) continue;
    expect(await put(part, bundle.subarray((number - 1) * partSize, number * partSize))).toBe(200);
  }
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  expect(outcome).toBeInstanceOf(AppError);
  return outcome as AppError;
}

beforeAll(async () => {
  // Limits small enough to trip in a test: a bomb of 80 MiB of zeros is only about 80 KB gzipped.
  stores = await startEmbeddedStores({ bundleLimits: { maxEntries: 10_000, maxUnpackedBytes: 64 * 1024 * 1024 } });
});
afterAll(async () => {
  await stores?.close();
});

describe('upload sessions', () => {
  it('answers an upload whose model began to be deleted while its bytes were stored as the model does (404), not as a refused bundle', async () => {
    // The delete's first write lands after the upload's access check and before the bundle's check,
    // the window a racing DELETE /model/{name} falls in.
    const deleteOnStore = (bundles: BundleStore, name: string): BundleStore => Object.assign(Object.create(bundles) as BundleStore, {
      put: async (...args: Parameters<BundleStore['put']>) => {
        await bundles.put(...args);
        await stores.models.beginDelete(name, new Date().toISOString());
      },
      completeMultipart: async (...args: Parameters<BundleStore['completeMultipart']>) => {
        await bundles.completeMultipart(...args);
        await stores.models.beginDelete(name, new Date().toISOString());
      },
    });
    const bundle = await sampleBundle();
    const direct = await model();
    const uploader = new DirectUpload({ models: stores.models, versions: stores.versionStore, bundles: deleteOnStore(stores.bundles, direct), finalizer: stores.finalizer, bundleLimits: DEFAULT_BUNDLE_LIMITS });
    const directError = await failure(uploader.addVersion(owner, direct, { bytes: bundle }));
    expect([directError.kind, directError.code]).toEqual(['not_found', 'model_not_found']);

    const resumable = await model();
    const big = await bigBundle(9);
    const sessions = new UploadSessions({ models: stores.models, versions: stores.versionStore, sessions: stores.sessionStore, bundles: deleteOnStore(stores.bundles, resumable), finalizer: stores.finalizer, limits: TEST_UPLOAD_LIMITS });
    const status = await sessions.start(owner, resumable, { size: big.length });
    await sendParts(status, big);
    const completeError = await failure(sessions.complete(owner, resumable, status.session.id, Date.now() + 10_000));
    expect([completeError.kind, completeError.code]).toEqual(['not_found', 'model_not_found']);
  });

  it('takes a small bundle in one presigned PUT and makes its version ready', async () => {
    const name = await model();
    const bundle = await sampleBundle();
    const status = await stores.uploads.start(owner, name, { size: bundle.length, sha256: sha(bundle), filename: 'mnist.tar.gz' });
    expect(status.session).toMatchObject({ mode: 'single', version: 1, state: 'open' });
    expect(status.urls).toHaveLength(1);
    expect(await put(status.urls[0], bundle)).toBe(200);
    const version = await stores.uploads.complete(owner, name, status.session.id, Date.now() + 10_000);
    expect(version).toMatchObject({ status: 'ready', sha256: sha(bundle), size: bundle.length, filename: 'mnist.tar.gz' });
    expect((await stores.versions.getBundle(owner, name)).bytes.equals(bundle)).toBe(true);
  });

  it('takes a large bundle in parts, lists what arrived so a client can resume, and assembles it byte-exact', async () => {
    const name = await model();
    const bundle = await bigBundle(20);
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    expect(status.session).toMatchObject({ mode: 'multipart', partSize: 8 * 1024 * 1024, partCount: 3 });
    await sendParts(status, bundle, (part) => part === 2);
    const resumed = await stores.uploads.status(owner, name, status.session.id);
    expect(resumed.received.map((part) => part.number)).toEqual([2]);
    expect(resumed.urls.map((url) => url.number)).toEqual([1, 3]);
    expect((await failure(stores.uploads.complete(owner, name, status.session.id, Date.now() + 1000))).code).toBe('upload_incomplete');
    await sendParts(resumed, bundle);
    const version = await stores.uploads.complete(owner, name, status.session.id, Date.now() + 20_000);
    expect(version).toMatchObject({ status: 'ready', sha256: sha(bundle), size: bundle.length });
    expect((await stores.versions.getBundle(owner, name)).bytes.equals(bundle)).toBe(true);
    expect(await stores.uploads.complete(owner, name, status.session.id, Date.now() + 1000)).toMatchObject({ status: 'ready' });
  });

  it('refuses a declared size over the limit before anything is stored', async () => {
    const name = await model();
    const error = await failure(stores.uploads.start(owner, name, { size: 65 * 1024 * 1024 }));
    expect([error.kind, error.code]).toEqual(['too_large', 'bundle_too_large']);
    expect(await stores.itemKeys(name)).toEqual(['META']);
  });

  it('binds each URL to its part and length: S3 refuses other bytes, tampered URLs and other keys', async () => {
    const name = await model();
    const bundle = await bigBundle(10);
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    const first = status.urls[0]?.url ?? '';
    expect(await put({ url: first }, bundle.subarray(0, 1000))).toBe(403);
    expect(await put({ url: first.replace('partNumber=1', 'partNumber=2') }, bundle.subarray(0, 8 * 1024 * 1024))).toBe(403);
    expect(await put({ url: first.replace(`/${name}/`, '/other-model/') }, bundle.subarray(0, 8 * 1024 * 1024))).toBe(403);
  });

  it('rejects a bundle whose sha256 differs from the declared one, and removes it', async () => {
    const name = await model();
    const bundle = await sampleBundle();
    const status = await stores.uploads.start(owner, name, { size: bundle.length, sha256: 'f'.repeat(64) });
    await put(status.urls[0], bundle);
    const version = await stores.uploads.complete(owner, name, status.session.id, Date.now() + 5000);
    expect(version).toMatchObject({ status: 'rejected' });
    expect(version.reason).toMatch(/sha256 is .* not the f{64} declared/);
    expect(await stores.storedBytes(`models/${name}/`)).toEqual([]);
  });

  it.each([
    ['a ../ entry', [{ name: '../escape.sh', content: 'x' }], /contains '\.\.'/],
    ['a symlink out', [{ name: 'm/link', type: 'symlink' as const, linkname: '../../etc/passwd' }], /points outside/],
    ['too many entries', Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, content: '' })), /more than 10000 entries/],
    ['a huge unpacked size', [{ name: 'zeros.bin', content: Buffer.alloc(80 * 1024 * 1024) }], /unpacks to more than 67108864 bytes/],
  ])('rejects a bundle with %s and leaves nothing in S3', async (_label, entries, reason) => {
    const name = await model();
    const bundle = await makeTarGz(entries);
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    await sendParts(status, bundle);
    const version = await stores.uploads.complete(owner, name, status.session.id, Date.now() + 10_000);
    expect(version.status).toBe('rejected');
    expect(version.reason).toMatch(reason);
    expect(await stores.storedBytes(`models/${name}/`)).toEqual([]);
    expect((await stores.registry.getModel(owner, name)).model.latestVersion).toBeUndefined();
  });

  it('aborts: the parts, the pending version and the session all go', async () => {
    const name = await model();
    const bundle = await bigBundle(10);
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    await sendParts(status, bundle, (part) => part === 1);
    await stores.uploads.abort(owner, name, status.session.id);
    expect((await stores.registry.getModel(owner, name)).versions).toEqual([]);
    expect((await failure(stores.uploads.complete(owner, name, status.session.id, Date.now() + 1000))).code).toBe('upload_aborted');
    expect(await stores.uploads.list(owner, name)).toEqual([]);
  });

  it('refuses bytes sent to the URL of an upload that was aborted', async () => {
    const name = await model();
    const bundle = await sampleBundle();
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    await stores.uploads.abort(owner, name, status.session.id);
    // A client still holding the URL sends the bytes after the abort: the key is retired, S3 refuses.
    expect(await put(status.urls[0], bundle)).toBe(412);
    expect(await stores.finalizer.finalizeKey(status.session.bundleKey, 'event')).toBe('aborted');
    expect((await new S3BundleStore(stores.s3, stores.bucket).stat(status.session.bundleKey))?.size).toBe(0);
  });

  it('aborts the open multipart uploads of a model being deleted', async () => {
    const name = await model();
    const bundle = await bigBundle(10);
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    await sendParts(status, bundle, (part) => part === 1);
    await stores.removal.deleteModel(owner, name);
    const bundles = new S3BundleStore(stores.s3, stores.bucket);
    expect(await bundles.listParts(status.session.bundleKey, status.session.s3UploadId ?? '')).toBeUndefined();
  });

  it('leaves a claimed check to its claimant until the claim lapses', async () => {
    const name = await model();
    const bundle = await sampleBundle();
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    await put(status.urls[0], bundle);
    expect(await stores.versionStore.claim(name, status.session.version, 'crashed', new Date(Date.now() + 150).toISOString(), new Date().toISOString())).toBe(true);
    expect(await stores.finalizer.finalize(name, status.session.version, 'event')).toBe('busy');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await stores.finalizer.finalize(name, status.session.version, 'event')).toBe('ready');
  });

  it('keeps sessions to those who may upload', async () => {
    const name = await model();
    const stranger = userActor('sid', 'session');
    expect((await failure(stores.uploads.start(stranger, name, { size: 10 }))).code).toBe('model_not_found');
    const status = await stores.uploads.start(owner, name, { size: 10 });
    expect((await failure(stores.uploads.status(stranger, name, status.session.id))).code).toBe('model_not_found');
    expect((await failure(stores.uploads.status(owner, name, '0'.repeat(24)))).code).toBe('upload_not_found');
  });

  it('is finished once when the event and the client race', async () => {
    const name = await model();
    const bundle = await bigBundle(9);
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    await sendParts(status, bundle);
    const [complete, event] = await Promise.all([
      stores.uploads.complete(owner, name, status.session.id, Date.now() + 20_000),
      new Promise((resolve) => setTimeout(resolve, 5)).then(() => stores.finalizer.finalize(name, status.session.version, 'event')),
    ]);
    expect(complete.status).toBe('ready');
    expect(['ready', 'busy', 'pending']).toContain(event);
    expect((await stores.registry.getModel(owner, name)).model.latestVersion).toBe(status.session.version);
  });

  it('answers a completed upload ready only once the version is its model\'s latest, when the event\'s check made it ready and has not committed it yet', async () => {
    const name = await model();
    const bundle = await sampleBundle();
    const status = await stores.uploads.start(owner, name, { size: bundle.length });
    await sendParts(status, bundle);
    // The event's check pauses between making the version ready and committing it as the latest.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let paused: () => void = () => undefined;
    const atCommit = new Promise<void>((resolve) => { paused = resolve; });
    const models = Object.create(stores.models) as typeof stores.models;
    models.commitLatestVersion = async (...args) => {
      paused();
      await released;
      return stores.models.commitLatestVersion(...args);
    };
    const eventFinalizer = new VersionFinalizer({ models, versions: stores.versionStore, sessions: stores.sessionStore, bundles: stores.bundles, bundleLimits: DEFAULT_BUNDLE_LIMITS });
    const event = eventFinalizer.finalize(name, status.session.version, 'event');
    await atCommit;
    const complete = await stores.uploads.complete(owner, name, status.session.id, Date.now() + 20_000);
    expect(complete.status).toBe('ready');
    expect((await stores.registry.getModel(owner, name)).model.latestVersion).toBe(status.session.version);
    release();
    expect(await event).toBe('ready');
  });
});
