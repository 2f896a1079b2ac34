import { chmod, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelVersionRef } from '../../../functions/inference/backends/inference-backend';
import { bundlesToEvict } from '../../../functions/inference/cache-eviction';
import { ModelFileCache } from '../../../functions/inference/model-file-cache';
import { BundleShelf, modelBundle, temporaryFolder } from '../../support/inference/bundles';
import { makeTarGz } from '../../support/tarballs';

async function reference(shelf: BundleShelf, key: string, bundle: Buffer): Promise<ModelVersionRef> {
  const version = await shelf.add(key, bundle);
  return { name: 'm', version: version.version, sha256: version.sha256, bundleKey: key, manifest: version.manifest! };
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; kind: string; message: string }> {
  return promise.then(() => { throw new Error('expected a failure'); }, (error: { code: string; kind: string; message: string }) => error);
}

describe('ModelFileCache', () => {
  let folder: Awaited<ReturnType<typeof temporaryFolder>>;
  let shelf: BundleShelf;
  let cache: ModelFileCache;

  beforeEach(async () => {
    folder = await temporaryFolder('mlhub-file-cache-');
    shelf = new BundleShelf();
    cache = new ModelFileCache({ directory: folder.path, openBundle: shelf.open });
  });

  afterEach(async () => {
    await folder.remove();
  });

  it('unpacks only the files asked for, under the bundle\'s sha256, from inside its root folder', async () => {
    const big = Buffer.alloc(300_000, 7);
    const version = await reference(shelf, 'k1', await modelBundle({ 'model.onnx': 'graph', 'weights/model.onnx.data': big, 'huge.ckpt': Buffer.alloc(100_000) }, 'mnist'));
    const paths = await cache.files(version, ['model.onnx', 'weights/model.onnx.data']);
    expect(paths).toEqual([join(folder.path, version.sha256, 'model.onnx'), join(folder.path, version.sha256, 'weights/model.onnx.data')]);
    expect(await readFile(paths[0]!, 'utf8')).toBe('graph');
    expect((await readFile(paths[1]!)).equals(big)).toBe(true);
    expect((await readdir(join(folder.path, version.sha256))).sort()).toEqual(['model.onnx', 'weights']);
  });

  it('refuses a cache folder others may write, since files found there are trusted unhashed', async () => {
    const version = await reference(shelf, 'k-shared', await modelBundle({ 'model.onnx': 'graph' }));
    const shared = join(folder.path, 'shared');
    await mkdir(shared, { mode: 0o700 });
    await chmod(shared, 0o777);
    const planted = new ModelFileCache({ directory: shared, openBundle: shelf.open });
    await expect(planted.files(version, ['model.onnx'])).rejects.toThrow(/not a private folder/);
    const made = join(folder.path, 'made');
    await new ModelFileCache({ directory: made, openBundle: shelf.open }).files(version, ['model.onnx']);
    expect((await stat(made)).mode & 0o777).toBe(0o700);
  });

  it('reads a bundle whose files sit at the top level', async () => {
    const version = await reference(shelf, 'k2', await makeTarGz([{ name: 'model.onnx', content: 'top' }, { name: 'labels.txt', content: 'a' }]));
    const [path] = await cache.files(version, ['model.onnx']);
    expect(await readFile(path!, 'utf8')).toBe('top');
  });

  it('opens the bundle once for concurrent callers and not at all once the files are there', async () => {
    const version = await reference(shelf, 'k3', await modelBundle({ 'model.onnx': 'once' }));
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => cache.files(version, ['model.onnx'])));
    expect(new Set(results.flat()).size).toBe(1);
    expect(shelf.opened).toEqual(['k3']);
    const again = new ModelFileCache({ directory: folder.path, openBundle: shelf.open });
    await again.files(version, ['model.onnx']);
    expect(shelf.opened).toEqual(['k3']);
  });

  it('leaves nothing behind when the stored bytes do not match the sha256', async () => {
    const version = await reference(shelf, 'k4', await modelBundle({ 'model.onnx': 'original' }));
    shelf.tamper('k4', await modelBundle({ 'model.onnx': 'swapped' }));
    const error = await rejection(cache.files(version, ['model.onnx']));
    expect(error.code).toBe('bundle_corrupt');
    const left = await readdir(join(folder.path, version.sha256)).catch(() => []);
    expect(left).toEqual([]);
  });

  it('answers 409 for a file the bundle does not hold, and 503 when storage fails', async () => {
    const version = await reference(shelf, 'k5', await modelBundle({ 'model.onnx': 'x' }));
    const missing = await rejection(cache.files(version, ['other.onnx']));
    expect(missing.kind).toBe('conflict');
    expect(missing.message).toContain("'model/other.onnx'");

    const broken = new ModelFileCache({ directory: folder.path, openBundle: () => Promise.reject(new Error('NoSuchKey')) });
    const unreadable = await rejection(broken.files({ ...version, sha256: 'f'.repeat(64) }, ['model.onnx']));
    expect(unreadable.kind).toBe('unavailable');
  });

  it('refuses paths that would leave the cache folder', async () => {
    const version = await reference(shelf, 'k6', await modelBundle({ 'model.onnx': 'x' }));
    await expect(cache.files(version, ['../escape.onnx'])).rejects.toThrow(/contains '\.\.'/);
    await expect(cache.files({ ...version, sha256: '../../etc' }, ['model.onnx'])).rejects.toThrow(/sha256/);
  });

  it('writes files readable only by their owner', async () => {
    const version = await reference(shelf, 'k7', await modelBundle({ 'model.onnx': 'private' }));
    const [path] = await cache.files(version, ['model.onnx']);
    expect((await stat(path!)).mode & 0o077).toBe(0);
  });

  describe('within a size', () => {
    const KB = 1000;
    const folders = async () => (await readdir(folder.path)).sort();

    it('removes the least recently used bundles\' files to make room, and unpacks them again when asked', async () => {
      const sized = new ModelFileCache({ directory: folder.path, openBundle: shelf.open, maxBytes: 25 * KB });
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (key) => reference(shelf, key, await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, key) }))));
      await sized.files(a!, ['model.onnx']);
      await sized.files(b!, ['model.onnx']);
      // a used again: b is now the least recently used.
      await sized.files(a!, ['model.onnx']);
      expect(await folders()).toEqual([a!.sha256, b!.sha256].sort());
      await sized.files(c!, ['model.onnx']);
      expect(await folders()).toEqual([a!.sha256, c!.sha256].sort());
      expect(sized.bytes).toBe(20 * KB);
      const [again] = await sized.files(b!, ['model.onnx']);
      expect((await readFile(again!)).equals(Buffer.alloc(10 * KB, 'b'))).toBe(true);
      expect(await folders()).toEqual([b!.sha256, c!.sha256].sort());
      expect(shelf.opened).toEqual(['a', 'b', 'c', 'b']);
    });

    it('never removes a bundle in use, even when that leaves the cache over its size for a while', async () => {
      const sized = new ModelFileCache({ directory: folder.path, openBundle: shelf.open, maxBytes: 15 * KB });
      const [a, b] = await Promise.all(['a', 'b'].map(async (key) => reference(shelf, key, await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, key) }))));
      let finish!: () => void;
      const holding = sized.use(a!, ['model.onnx'], async ([path]) => {
        await new Promise<void>((resolve) => { finish = resolve; });
        return readFile(path!);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sized.files(b!, ['model.onnx']);
      expect(await folders()).toEqual([a!.sha256, b!.sha256].sort());
      finish();
      expect((await holding).equals(Buffer.alloc(10 * KB, 'a'))).toBe(true);
      // No longer in use, a is the least recently used, and goes when room is needed.
      const c = await reference(shelf, 'c', await modelBundle({ 'model.onnx': Buffer.alloc(4 * KB, 'c') }));
      await sized.files(c, ['model.onnx']);
      expect(await folders()).toEqual([b!.sha256, c.sha256].sort());
    });

    it('refuses model files larger than the whole cache with 409 model_too_large, before reading the bundle', async () => {
      const sized = new ModelFileCache({ directory: folder.path, openBundle: shelf.open, maxBytes: 5 * KB });
      const big = await reference(shelf, 'big', await modelBundle({ 'model.onnx': Buffer.alloc(6 * KB) }));
      const error = await rejection(sized.files(big, ['model.onnx']));
      expect(error).toMatchObject({ code: 'model_too_large', kind: 'conflict' });
      expect(error.message).toMatch(/m v1 needs 6000 bytes of model files, more than the predict function can hold \(its model cache takes 5000 bytes\): deploy the model to a SageMaker endpoint/);
      expect(shelf.opened).toEqual([]);
    });

    /** Opens bundles only when `release` is called, so that several misses are in flight at once. */
    function gatedShelf() {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      const waiting: string[] = [];
      const open = async (key: string) => {
        waiting.push(key);
        await gate;
        return shelf.open(key);
      };
      const opened = async (count: number) => {
        while (waiting.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      return { open, release, opened };
    }

    it('counts the files of concurrent misses still being unpacked, so that together they evict enough', async () => {
      const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map(async (key) => reference(shelf, key, await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, key) }))));
      const gated = gatedShelf();
      const sized = new ModelFileCache({ directory: folder.path, openBundle: gated.open, maxBytes: 25 * KB });
      gated.release();
      await sized.files(a!, ['model.onnx']);
      await sized.files(b!, ['model.onnx']);
      const slow = gatedShelf();
      const concurrent = new ModelFileCache({ directory: folder.path, openBundle: slow.open, maxBytes: 25 * KB });
      const misses = Promise.all([concurrent.files(c!, ['model.onnx']), concurrent.files(d!, ['model.onnx'])]);
      // Both misses have chosen what to evict, and neither has written a byte.
      await slow.opened(2);
      expect(concurrent.reservedBytes).toBe(20 * KB);
      slow.release();
      const [[cPath], [dPath]] = await misses;
      expect((await readFile(cPath!)).equals(Buffer.alloc(10 * KB, 'c'))).toBe(true);
      expect((await readFile(dPath!)).equals(Buffer.alloc(10 * KB, 'd'))).toBe(true);
      expect(await folders()).toEqual([c!.sha256, d!.sha256].sort());
      expect(concurrent.bytes).toBe(20 * KB);
      expect(concurrent.reservedBytes).toBe(0);
    });

    it('goes over its size only while concurrent misses are in use, and is back within it once they end', async () => {
      const versions = await Promise.all(['a', 'b', 'c'].map(async (key) => reference(shelf, key, await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, key) }))));
      const slow = gatedShelf();
      const sized = new ModelFileCache({ directory: folder.path, openBundle: slow.open, maxBytes: 25 * KB });
      let finish!: () => void;
      const holding = new Promise<void>((resolve) => { finish = resolve; });
      const uses = Promise.all(versions.map(async (version) => sized.use(version, ['model.onnx'], async ([path]) => {
        await holding;
        return readFile(path!);
      })));
      await slow.opened(3);
      // Each of the three is in use: none can go, so the third goes over.
      expect(sized.reservedBytes).toBe(30 * KB);
      slow.release();
      while (sized.bytes < 30 * KB) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await folders()).toHaveLength(3);
      finish();
      const read = await uses;
      read.forEach((bytes, index) => expect(bytes.equals(Buffer.alloc(10 * KB, ['a', 'b', 'c'][index]!))).toBe(true));
      expect(await folders()).toHaveLength(2);
      expect(sized.bytes).toBe(20 * KB);
      expect(sized.reservedBytes).toBe(0);
    });

    it('releases the reservation of an unpack that fails', async () => {
      const sized = new ModelFileCache({ directory: folder.path, openBundle: shelf.open, maxBytes: 25 * KB });
      const version = await reference(shelf, 'bad', await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, 'x') }));
      shelf.tamper('bad', await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, 'y') }));
      expect((await rejection(sized.files(version, ['model.onnx']))).code).toBe('bundle_corrupt');
      expect(sized.reservedBytes).toBe(0);
      expect(sized.bytes).toBe(0);
    });

    it('counts the folders an earlier process left, oldest first', async () => {
      const [a, b] = await Promise.all(['a', 'b'].map(async (key) => reference(shelf, key, await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, key) }))));
      await new ModelFileCache({ directory: folder.path, openBundle: shelf.open }).files(a!, ['model.onnx']);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await new ModelFileCache({ directory: folder.path, openBundle: shelf.open }).files(b!, ['model.onnx']);
      const later = new ModelFileCache({ directory: folder.path, openBundle: shelf.open, maxBytes: 25 * KB });
      const c = await reference(shelf, 'c', await modelBundle({ 'model.onnx': Buffer.alloc(10 * KB, 'c') }));
      await later.files(c, ['model.onnx']);
      expect(await folders()).toEqual([b!.sha256, c.sha256].sort());
    });
  });
});

describe('bundlesToEvict', () => {
  const bundle = (key: string, bytes: number, pinned = false) => ({ key, bytes, pinned });

  it('evicts the least recently used first, and no more than needed', () => {
    expect(bundlesToEvict([bundle('a', 10), bundle('b', 10), bundle('c', 10)], 10, 30)).toEqual(['a']);
    expect(bundlesToEvict([bundle('a', 10), bundle('b', 10), bundle('c', 10)], 25, 30)).toEqual(['a', 'b', 'c']);
    expect(bundlesToEvict([bundle('a', 10), bundle('b', 10)], 10, 30)).toEqual([]);
  });

  it('skips bundles in use, and evicts every other one when even that leaves too little room', () => {
    expect(bundlesToEvict([bundle('a', 10, true), bundle('b', 10), bundle('c', 10)], 10, 30)).toEqual(['b']);
    expect(bundlesToEvict([bundle('a', 10, true), bundle('b', 5), bundle('c', 10, true)], 20, 30)).toEqual(['b']);
    expect(bundlesToEvict([], 40, 30)).toEqual([]);
  });
});
