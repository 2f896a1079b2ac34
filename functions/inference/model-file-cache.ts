import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { normaliseEntryName, unsafePathReason } from '../bundles/archive-paths';
import { INFLATE_CHUNK_BYTES } from '../bundles/inspect-bundle';
import { AppError, conflict } from '../errors/app-error';
import type { ModelVersionRef } from './backends/inference-backend';

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
 * `<directory>/<sha256>/<path>`. A version's bytes never change, so its sha256 names its files
 * forever. Only the requested files are written, each to a temporary name first and renamed
 * into place once the whole bundle has streamed past and matched its sha256, so a concurrent
 * reader (another request, or another process sharing the disk) sees a whole file or none.
 */
export class ModelFileCache {
  private readonly inFlight = new Map<string, Promise<string[]>>();
  private privateDirectory: Promise<void> | undefined;

  constructor(private readonly options: { readonly directory: string; readonly openBundle: OpenBundle }) {}

  /**
   * Files found in the cache are trusted without hashing them again, so the cache must be a folder
   * no one else can write: created 0700, owned by this process's user, not a link, and with no
   * group or world write bit. Anything else (a shared /tmp folder someone made first) is refused.
   */
  private ensurePrivate(): Promise<void> {
    this.privateDirectory ??= ensurePrivateModelCache(this.options.directory);
    return this.privateDirectory;
  }

  /** Absolute paths of the given files, relative to the bundle's root folder, in the order asked. */
  async files(version: ModelVersionRef, paths: readonly string[]): Promise<string[]> {
    if (!SHA256.test(version.sha256)) throw new Error(`Version ${version.name} v${version.version} has no valid sha256`);
    for (const path of paths) {
      const unsafe = unsafePathReason(path);
      if (unsafe || path === '') throw new Error(`Model file path '${path}' ${unsafe ?? 'is empty'}`);
    }
    await this.ensurePrivate();
    const targets = paths.map((path) => join(this.options.directory, version.sha256, path));
    if ((await Promise.all(targets.map(exists))).every(Boolean)) return targets;

    const key = `${version.sha256}\0${[...paths].sort().join('\0')}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.unpack(version, paths, targets).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
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
