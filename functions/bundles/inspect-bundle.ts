import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { AppError, invalid } from '../errors/app-error';
import { linkStaysInside, normaliseEntryName, unsafePathReason } from './archive-paths';
import type { BundleLimits } from './bundle-limits';
import { SIDECAR_LIMITS } from './bundle-limits';
import { MANIFEST_FILE_LIST_LIMIT, type BundleManifest, type ManifestFile } from './bundle-manifest';
import { detectFramework } from './detect-framework';

export interface InspectedBundle {
  readonly sha256: string;
  readonly size: number;
  readonly manifest: BundleManifest;
}

const GZIP_MAGIC = [0x1f, 0x8b];
export const INFLATE_CHUNK_BYTES = 1024 * 1024;
const ALLOWED_TYPES = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link']);

const rejectBundle = (message: string): AppError => invalid('invalid_bundle', message);

/** Hashes and counts the compressed bytes as they pass, and refuses anything that is not gzip. */
class CompressedMeter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  private head = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.head.length < 512 + 8) this.head = Buffer.concat([this.head, chunk]).subarray(0, 512 + 8);
    if (this.head.length >= GZIP_MAGIC.length && (this.head[0] !== GZIP_MAGIC[0] || this.head[1] !== GZIP_MAGIC[1])) {
      callback(rejectBundle(this.looksLikePlainTar()
        ? 'The bundle is an uncompressed tar; gzip it (tar czf bundle.tar.gz <folder>) and upload the .tar.gz'
        : 'The bundle is not gzip-compressed; upload a .tar.gz (tar czf bundle.tar.gz <folder>)'));
      return;
    }
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  private looksLikePlainTar(): boolean {
    return this.head.length >= 262 && this.head.subarray(257, 262).toString('latin1') === 'ustar';
  }
}

async function readCapped(stream: AsyncIterable<unknown>, cap: number, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const data of stream) {
    const chunk = data as Buffer;
    length += chunk.length;
    if (length > cap) throw rejectBundle(`${name} is larger than ${cap} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of stream) {
    // Discarding the bytes is the point: only headers matter here.
  }
}

/** The folder shared by every entry, if all of them sit inside exactly one. */
function commonRoot(paths: readonly string[], directories: ReadonlySet<string>): string {
  const firstSegments = new Set(paths.map((path) => path.split('/')[0]));
  if (firstSegments.size !== 1) return '';
  const [only] = firstSegments;
  return only !== undefined && directories.has(only) && paths.some((path) => path.includes('/')) ? only : '';
}

function parseParams(bytes: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw rejectBundle('params.json is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw rejectBundle('params.json must hold a JSON object');
  return parsed as Record<string, unknown>;
}

const parseLabels = (bytes: Buffer): string[] =>
  bytes.toString('utf8').split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);

function describeStreamError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // zlib's errors carry Z_* codes; everything else comes from the tar parser.
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) return rejectBundle(`The bundle is not a valid gzip stream (${message})`);
  return rejectBundle(`The bundle is not a valid tar archive (${message})`);
}

/**
 * Streams a .tar.gz once: hashes the compressed bytes, walks the tar without unpacking it, refuses
 * entries that could escape the folder they unpack into or overflow the limits, and records what
 * the bundle holds. Memory stays flat whatever the bundle's size.
 */
export async function inspectBundle(source: Readable, limits: BundleLimits): Promise<InspectedBundle> {
  const meter = new CompressedMeter();
  const extract = tarExtract();
  // Large output chunks: with zlib's 16 KiB default, inflating costs several times the hashing.
  const flowing = pipeline(source, meter, createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }), extract);
  // The loop below reports the first failure; keep the pipeline's own rejection from going unhandled.
  flowing.catch(() => undefined);

  const files: ManifestFile[] = [];
  const allPaths: string[] = [];
  const directories = new Set<string>();
  const sidecars = new Map<string, Buffer>();
  let entries = 0;
  let unpackedBytes = 0;

  try {
    for await (const entry of extract) {
      const header: Header = entry.header;
      entries += 1;
      if (entries > limits.maxEntries) throw rejectBundle(`The bundle has more than ${limits.maxEntries} entries`);
      const path = normaliseEntryName(header.name);
      const unsafe = unsafePathReason(path);
      if (unsafe) throw rejectBundle(`Entry '${header.name}' ${unsafe}`);
      if (!ALLOWED_TYPES.has(header.type ?? 'file')) throw rejectBundle(`Entry '${header.name}' is a ${header.type}; bundles may hold only files, folders and links`);
      if (header.type === 'symlink' && !linkStaysInside(path, header.linkname ?? '')) {
        throw rejectBundle(`Symlink '${header.name}' points outside the bundle (${header.linkname})`);
      }
      if (header.type === 'link' && unsafePathReason(normaliseEntryName(header.linkname ?? ''))) {
        throw rejectBundle(`Hard link '${header.name}' points outside the bundle (${header.linkname})`);
      }
      unpackedBytes += header.size ?? 0;
      if (unpackedBytes > limits.maxUnpackedBytes) throw rejectBundle(`The bundle unpacks to more than ${limits.maxUnpackedBytes} bytes`);

      if (path !== '') allPaths.push(path);
      if (header.type === 'directory') directories.add(path);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        if (files.length < MANIFEST_FILE_LIST_LIMIT) files.push({ path, size: header.size ?? 0 });
        const base = path.split('/').pop() ?? '';
        const cap = SIDECAR_LIMITS[base as keyof typeof SIDECAR_LIMITS];
        if (cap !== undefined && path.split('/').length <= 2 && !sidecars.has(path)) {
          sidecars.set(path, await readCapped(entry, cap, base));
          continue;
        }
      }
      await drain(entry);
    }
    await flowing;
  } catch (error) {
    extract.destroy();
    source.destroy();
    throw describeStreamError(error);
  }

  const fileCount = allPaths.filter((path) => !directories.has(path)).length;
  if (fileCount === 0) throw rejectBundle('The bundle holds no files');
  const root = commonRoot(allPaths, directories);
  const prefix = root === '' ? '' : `${root}/`;
  const relativeFiles = files.map((file) => ({ path: file.path.slice(prefix.length), size: file.size }));
  const params = sidecars.get(`${prefix}params.json`);
  const labels = sidecars.get(`${prefix}labels.txt`);
  const framework = detectFramework(relativeFiles.map((file) => file.path));

  const manifest: BundleManifest = {
    root,
    fileCount,
    unpackedBytes,
    files: relativeFiles,
    ...(framework ? { framework } : {}),
    ...(params ? { params: parseParams(params) } : {}),
    ...(labels ? { labels: parseLabels(labels) } : {}),
  };
  return { sha256: meter.hash.digest('hex'), size: meter.size, manifest };
}
