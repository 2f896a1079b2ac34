import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { normaliseEntryName, unsafePathReason } from '../bundles/archive-paths';
import { modelFileBytes } from '../bundles/builtin-runtime';
import { INFLATE_CHUNK_BYTES } from '../bundles/inspect-bundle';
import { AppError, conflict } from '../errors/app-error';
import type { ModelVersionRef } from './backends/inference-backend';
import { bundlesToEvict } from './cache-eviction';

/** Opens a stored bundle's .tar.gz bytes as a stream (S3 GetObject's Body, or a local file). */
export type OpenBundle = (bundleKey: string) => Promise<Readable>;

const SHA256 = /^[0-9a-f]{64}$/;

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Bytes of the files under a folder, at any depth; 0 for a folder that is gone. */
async function folderBytes(folder: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  const sizes = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => {
    try {
      return (await stat(join(entry.parentPath, entry.name))).size;
    } catch {
      return 0;
    }
  }));
  return sizes.reduce((total, size) => total + size, 0);
}

/** What the cache knows of one bundle's folder. */
interface CacheEntry {
  /** Bytes its files take, measured after each unpack. */
  bytes: number;
  /** Callers between `use` and the end of their work: while any, the folder stays. */
  users: number;
  /**
   * Bytes of model files being unpacked into the folder now, from the manifest's sizes: counted
   * as taken from before the unpack starts until `bytes` is measured after it, so that concurrent
   * misses see each other's files coming.
   */
  reserved: number;
}

export { modelFileBytes };

/** The 409 for model files larger than the whole cache: no eviction can make room for them. */
export function modelTooLarge(version: Pick<ModelVersionRef, 'name' | 'version'>, bytes: number, capacity: number): AppError {
  return conflict('model_too_large',
    `${version.name} v${version.version} needs ${bytes} bytes of model files, more than the predict function can hold (its model cache takes ${capacity} bytes): deploy the model to a SageMaker endpoint (or another serving backend) and name it in the model's meta.backend`);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of stream) {
    // Skipping an entry means reading past it; the bytes are not needed.
  }
}

/**
 * Creates the model cache folder (0700) if need be and checks that it is private to this user: a
 * directory, not a link, owned by this process's user, with no group or world write bit. The local
 * runtime calls it at startup, so that a bad MLHUB_MODEL_CACHE_DIR stops it there.
 */
export async function ensurePrivateModelCache(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const info = await lstat(directory);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
    throw new Error(`The model cache ${directory} is not a private folder of this user (it must be a directory owned by uid ${uid ?? '?'} without group or world write access)`);
  }
}

/**
 * Model files on local disk, unpacked from their bundles on first use and kept under
 * `<directory>/<sha256>/<path>`, at most `maxBytes` of them: before a bundle is unpacked, its
 * files' bytes (from the manifest) are reserved and the least recently used bundle folders are
 * removed until they fit beside every other folder and reservation (cache-eviction.ts), but never
 * one in use (between `use` and the end of its work). When the folders in use alone leave too
 * little room, the cache goes over `maxBytes` while they are in use, and once no use is in
 * progress, the least recently used folders are removed until it is back within `maxBytes`.
 * Model files larger than `maxBytes` are refused with 409 `model_too_large` before any byte is read. Folders found at start (left by
 * an earlier process) count, oldest first by modification time. A version's bytes never change, so its sha256 names its files
 * forever. Only the requested files are written, each to a temporary name first and renamed
 * into place once the whole bundle has streamed past and matched its sha256, so a concurrent
 * reader (another request, or another process sharing the disk) sees a whole file or none.
 */
export class ModelFileCache {
  private readonly inFlight = new Map<string, Promise<string[]>>();
  /** By sha256, least recently used first. */
  private readonly entries = new Map<string, CacheEntry>();
  /** Folders being removed, by sha256: a request for one waits until it is gone, then unpacks afresh. */
  private readonly removing = new Map<string, Promise<void>>();
  private ready: Promise<void> | undefined;
  /** Calls between `use` and the end of their work, all bundles together. */
  private uses = 0;
  private readonly maxBytes: number;

  constructor(private readonly options: { readonly directory: string; readonly openBundle: OpenBundle; /** Infinity when unset. */ readonly maxBytes?: number }) {
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Bytes the cached bundle folders take, as far as this process knows (unpacks in progress not counted). */
  get bytes(): number {
    return [...this.entries.values()].reduce((total, entry) => total + entry.bytes, 0);
  }

  /** Bytes reserved by unpacks in progress. */
  get reservedBytes(): number {
    return [...this.entries.values()].reduce((total, entry) => total + entry.reserved, 0);
  }

  /**
   * Files found in the cache are trusted without hashing them again, so the cache must be a folder
   * no one else can write: created 0700, owned by this process's user, not a link, and with no
   * group or world write bit. Anything else (a shared /tmp folder someone made first) is refused.
   */
  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      await ensurePrivateModelCache(this.options.directory);
      const folders = (await readdir(this.options.directory, { withFileTypes: true })).filter((entry) => entry.isDirectory() && SHA256.test(entry.name));
      const found = await Promise.all(folders.map(async (folder) => {
        const path = join(this.options.directory, folder.name);
        return { sha256: folder.name, bytes: await folderBytes(path), usedAt: (await stat(path)).mtimeMs };
      }));
      for (const folder of found.sort((a, b) => a.usedAt - b.usedAt)) {
        if (!this.entries.has(folder.sha256)) this.entries.set(folder.sha256, { bytes: folder.bytes, users: 0, reserved: 0 });
      }
    })();
    return this.ready;
  }

  /** Absolute paths of the given files, relative to the bundle's root folder, in the order asked. */
  async files(version: ModelVersionRef, paths: readonly string[]): Promise<string[]> {
    return this.use(version, paths, async (files) => files);
  }

  /**
   * Runs `work` on the absolute paths of the given files (relative to the bundle's root folder,
   * in the order asked), unpacking them first if need be; the bundle's folder is not evicted
   * before `work` settles. Throws 409 `model_too_large` when they could never fit. `onPhase` is
   * told when the files are being fetched (found or unpacked) and when they are ready.
   */
  async use<T>(version: ModelVersionRef, paths: readonly string[], work: (files: string[]) => Promise<T>, onPhase?: (phase: 'fetching' | 'ready') => void): Promise<T> {
    if (!SHA256.test(version.sha256)) throw new Error(`Version ${version.name} v${version.version} has no valid sha256`);
    for (const path of paths) {
      const unsafe = unsafePathReason(path);
      if (unsafe || path === '') throw new Error(`Model file path '${path}' ${unsafe ?? 'is empty'}`);
    }
    const needed = modelFileBytes(version.manifest, paths);
    if (needed > this.maxBytes) throw modelTooLarge(version, needed, this.maxBytes);
    await this.ensureReady();
    const entry = this.entries.get(version.sha256) ?? { bytes: 0, users: 0, reserved: 0 };
    // Most recently used last.
    this.entries.delete(version.sha256);
    this.entries.set(version.sha256, entry);
    entry.users += 1;
    this.uses += 1;
    try {
      let files: string[];
      onPhase?.('fetching');
      try {
        files = await this.materialise(version, entry, paths, needed);
      } finally {
        onPhase?.('ready');
      }
      return await work(files);
    } finally {
      entry.users -= 1;
      this.uses -= 1;
      // Concurrent misses may have taken the cache over its size while their folders were in use;
      // once none is, the least recently used go. Best effort: a folder that would not go must not
      // replace the prediction's own answer or error.
      if (this.uses === 0) await this.makeRoom(undefined, 0).catch(() => undefined);
    }
  }

  private async materialise(version: ModelVersionRef, entry: CacheEntry, paths: readonly string[], needed: number): Promise<string[]> {
    await this.removing.get(version.sha256);
    const targets = paths.map((path) => join(this.options.directory, version.sha256, path));
    if ((await Promise.all(targets.map(exists))).every(Boolean)) return targets;

    const key = `${version.sha256}\0${[...paths].sort().join('\0')}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      // Reserved before any await, so that a miss deciding what to evict meanwhile counts these bytes.
      entry.reserved += needed;
      pending = this.makeRoom(version.sha256, 0)
        .then(() => this.unpack(version, paths, targets))
        .finally(async () => {
          this.inFlight.delete(key);
          const bytes = await folderBytes(join(this.options.directory, version.sha256));
          // Measured and released together: the files are counted once, never zero times.
          entry.bytes = bytes;
          entry.reserved -= needed;
        });
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /**
   * Removes the least recently used folders not in use (nor `sha256`'s) until `incoming` more
   * bytes fit beside the folders and the reservations of unpacks in progress.
   */
  private async makeRoom(sha256: string | undefined, incoming: number): Promise<void> {
    const bundles = [...this.entries].map(([key, entry]) => ({ key, bytes: entry.bytes + entry.reserved, pinned: entry.users > 0 || key === sha256 }));
    await Promise.all(bundlesToEvict(bundles, incoming, this.maxBytes).map(async (key) => {
      this.entries.delete(key);
      const removal = rm(join(this.options.directory, key), { recursive: true, force: true }).finally(() => this.removing.delete(key));
      this.removing.set(key, removal);
      await removal;
    }));
  }

  private async unpack(version: ModelVersionRef, paths: readonly string[], targets: readonly string[]): Promise<string[]> {
    const prefix = version.manifest.root === '' ? '' : `${version.manifest.root}/`;
    const wanted = new Map(paths.map((path, index) => [`${prefix}${path}`, targets[index]!]));
    const partials = new Map<string, string>();
    const tag = `${process.pid}-${randomBytes(6).toString('hex')}`;
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    const extract = tarExtract();
    let source: Readable | undefined;
    try {
      source = await this.options.openBundle(version.bundleKey);
      const flowing = pipeline(source, hashing, createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }), extract);
      // The loop below reports the first failure; keep the pipeline's own rejection from going unhandled.
      flowing.catch(() => undefined);
      for await (const entry of extract) {
        const name = normaliseEntryName(entry.header.name);
        const target = wanted.get(name);
        const isFile = entry.header.type === 'file' || entry.header.type === 'contiguous-file';
        if (target === undefined || !isFile || unsafePathReason(name) || partials.has(name)) {
          await drain(entry);
          continue;
        }
        const partial = `${target}.partial-${tag}`;
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        partials.set(name, partial);
        await pipeline(entry, createWriteStream(partial, { mode: 0o600 }));
      }
      await flowing;
      const actual = hash.digest('hex');
      if (actual !== version.sha256) {
        throw new AppError('unavailable', 'bundle_corrupt',
          `The stored bundle of ${version.name} v${version.version} does not match its recorded sha256; it cannot be run`);
      }
      const missing = [...wanted.keys()].filter((name) => !partials.has(name));
      if (missing.length > 0) {
        throw conflict('model_file_missing', `The bundle of ${version.name} v${version.version} has no file ${missing.map((name) => `'${name}'`).join(', ')}`);
      }
      for (const [name, partial] of partials) await rename(partial, wanted.get(name)!);
      return [...targets];
    } catch (error) {
      extract.destroy();
      source?.destroy();
      await Promise.all([...partials.values()].map((partial) => rm(partial, { force: true })));
      if (error instanceof AppError) throw error;
      throw new AppError('unavailable', 'bundle_unreadable',
        `The bundle of ${version.name} v${version.version} could not be read from storage`, { cause: error });
    }
  }
}
