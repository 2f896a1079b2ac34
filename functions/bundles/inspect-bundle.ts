import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { AppError, invalid } from '../errors/app-error';
import { normaliseEntryName, unsafePathReason } from './archive-paths';
import { ArchiveTree } from './archive-tree';
import type { BundleLimits } from './bundle-limits';
import { SIDECAR_LIMITS } from './bundle-limits';
import { MANIFEST_FILE_LIST_LIMIT, MANIFEST_LINK_LIST_LIMIT, type BuiltinRuntimeVerdict, type BundleManifest, type ManifestFile, type ManifestLink } from './bundle-manifest';
import { builtinRuntimeVerdict } from './builtin-runtime';
import { ByteWindow } from './byte-window';
import { looksLikeBoosterJson, streamHead } from '../frameworks/booster-json';
import { detectFramework } from './detect-framework';
import { checkEntryType } from './entry-types';
import { InflatedMeter } from './inflated-meter';
import { isMacOsMetadata } from './macos-metadata';
import { isOnnx } from '../inference/onnx/onnx-model-file';
import { pickleSklearnVersion } from '../frameworks/pickle-sklearn-version';
import { bundleSignature, MAX_ONNX_FILES_READ, readOnnxSignature } from '../signatures/bundle-signature';
import type { SignatureFinding } from '../signatures/model-signature';

export interface InspectedBundle {
  readonly sha256: string;
  readonly size: number;
  readonly manifest: BundleManifest;
}

const GZIP_MAGIC = [0x1f, 0x8b];
export const INFLATE_CHUNK_BYTES = 1024 * 1024;
/** A few inflate chunks: more than the streams between gunzip and the tar parser hold. */
const TYPEFLAG_WINDOW_BYTES = 8 * INFLATE_CHUNK_BYTES;

/**
 * The raw typeflag of an entry tar-stream could not name: byte 156 of its 512-byte header (POSIX
 * ustar), which ends where the entry's data starts (tar-stream's `byteOffset`).
 */
function typeflagOf(header: Header, recent: ByteWindow): string | undefined {
  const offset = dataOffset(header);
  const byte = offset === undefined ? undefined : recent.byteAt(offset - 512 + 156);
  return byte === undefined ? undefined : String.fromCharCode(byte);
}

/** Where tar-stream found the entry's data in the tar stream (undocumented, hence optional). */
const dataOffset = (header: Header): number | undefined => (header as Header & { byteOffset?: number }).byteOffset;

/** Where the block after an entry's data starts: data is padded to 512-byte blocks. */
const blockAfter = (header: Header): number | undefined => {
  const offset = dataOffset(header);
  return offset === undefined ? undefined : offset + Math.ceil((header.size ?? 0) / 512) * 512;
};

const rejectBundle = (message: string): AppError => invalid('invalid_bundle', message);

/** Ends both refusals of bytes after the end-of-archive: an entry (joined tars) or bytes no header starts. */
const AFTER_END_OF_ARCHIVE = "the tar's end-of-archive blocks, where tar stops reading; upload one archive with nothing after it (tar czf bundle.tar.gz <folder>), not several joined";

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

/**
 * The folder holding every entry, if there is one (`tar czf b.tar.gz mnist` makes `mnist/…`,
 * with or without an entry for the folder itself), else ''. Paths come without macOS metadata.
 */
function commonRoot(paths: readonly string[], directories: ReadonlySet<string>): string {
  const first = paths[0]?.split('/')[0];
  if (first === undefined) return '';
  const inside = paths.every((path) => path.startsWith(`${first}/`) || (path === first && directories.has(path)));
  return inside && paths.some((path) => path.startsWith(`${first}/`)) ? first : '';
}

/** The model files and the other .onnx files first, so a shortened list leads predict to the same choice. */
function listedFiles(files: readonly ManifestFile[], verdict: BuiltinRuntimeVerdict): ManifestFile[] {
  // Model files too large for the predict function now are listed first too: it may hold them later.
  const first = new Set(verdict.modelFiles ?? []);
  const rank = (file: ManifestFile): number => (first.has(file.path) ? 0 : isOnnx(file.path) ? 1 : 2);
  return files.map((file, index) => ({ file, index }))
    .sort((a, b) => rank(a.file) - rank(b.file) || a.index - b.index)
    .slice(0, MANIFEST_FILE_LIST_LIMIT)
    .map(({ file }) => file);
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
 * what could escape the folder it unpacks into or overflow the limits, and records what the bundle
 * holds, including whether the built-in runtime can run it. Memory stays flat whatever the
 * bundle's size (the tree of paths grows with the entry count, which is capped).
 *
 * Refused with 400 `invalid_bundle` and the reason: bytes that are not gzip, or not a tar; entry
 * types off the allow-list (entry-types.ts); absolute or `..` paths; links that resolve outside
 * the bundle, writes through links and names taken twice (archive-tree.ts); more than
 * `limits.maxEntries` entries; more than `limits.maxUnpackedBytes` inflated bytes, counted as they
 * stream (inflated-meter.ts); no files.
 */
/** scikit-learn's pickle files, as serving-path.ts names them. */
const PICKLE_FILE = /\.(joblib|pkl|pickle)$/i;

export async function inspectBundle(source: Readable, limits: BundleLimits): Promise<InspectedBundle> {
  const meter = new CompressedMeter();
  const inflated = new InflatedMeter(limits.maxUnpackedBytes);
  const recent = new ByteWindow(TYPEFLAG_WINDOW_BYTES);
  const extract = tarExtract();
  // Large output chunks: with zlib's 16 KiB default, inflating costs several times the hashing.
  const flowing = pipeline(source, meter, createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }), inflated, recent, extract);
  // The loop below reports the first failure; keep the pipeline's own rejection from going unhandled.
  flowing.catch(() => undefined);

  const tree = new ArchiveTree();
  const files: ManifestFile[] = [];
  const onnxLinks: ManifestLink[] = [];
  const contentPaths: string[] = [];
  const directories = new Set<string>();
  const sidecars = new Map<string, Buffer>();
  const onnxFindings = new Map<string, SignatureFinding>();
  let entries = 0;
  let fileCount = 0;
  let sklearnVersion: string | undefined;
  const boosterJson: string[] = [];

  // Where the header after the previous entry was due; a zero block there ends the archive.
  let nextHeader: number | undefined = 0;

  try {
    for await (const entry of extract) {
      const header: Header = entry.header;
      // GNU tar stops at the end-of-archive zero blocks; tar-stream reads on. An entry past them
      // (two tars concatenated) would be listed and checked here, yet never unpacked by tar x.
      if (nextHeader !== undefined && recent.allZero(nextHeader, 512) === true) {
        throw rejectBundle(`Entry '${header.name}' comes after ${AFTER_END_OF_ARCHIVE}`);
      }
      nextHeader = blockAfter(header);
      entries += 1;
      if (entries > limits.maxEntries) throw rejectBundle(`The bundle has more than ${limits.maxEntries} entries`);
      const path = normaliseEntryName(header.name);
      const unsafe = unsafePathReason(path);
      if (unsafe) throw rejectBundle(`Entry '${header.name}' ${unsafe}`);
      const checked = checkEntryType(header, header.type ? undefined : typeflagOf(header, recent));
      if ('refusal' in checked) throw rejectBundle(`Entry '${header.name}' ${checked.refusal}`);
      const refusal = tree.add(path, checked.type, header.linkname ?? '');
      if (refusal) throw rejectBundle(`Entry '${header.name}' ${refusal}`);

      if (checked.type !== 'directory') fileCount += 1;
      if (path !== '' && !isMacOsMetadata(path)) {
        contentPaths.push(path);
        if (checked.type === 'directory') directories.add(path);
        if ((checked.type === 'symlink' || checked.type === 'link') && isOnnx(path)) onnxLinks.push({ path, type: checked.type });
        if (checked.type === 'file') {
          files.push({ path, size: header.size ?? 0 });
          const base = path.split('/').pop() ?? '';
          const cap = SIDECAR_LIMITS[base as keyof typeof SIDECAR_LIMITS];
          if (cap !== undefined && path.split('/').length <= 2) {
            sidecars.set(path, await readCapped(entry, cap, base));
            continue;
          }
          if (isOnnx(path) && onnxFindings.size < MAX_ONNX_FILES_READ && !onnxFindings.has(path)) {
            onnxFindings.set(path, await readOnnxSignature(entry));
            continue;
          }
          if (path.toLowerCase().endsWith('.json') && boosterJson.length < MANIFEST_FILE_LIST_LIMIT) {
            if (looksLikeBoosterJson(await streamHead(entry))) boosterJson.push(path);
            continue;
          }
          if (sklearnVersion === undefined && PICKLE_FILE.test(path)) {
            // Read as it streams by (it is read to its end either way): the version a deploy's unpickling must match.
            sklearnVersion = await pickleSklearnVersion(entry);
            continue;
          }
        }
      }
      await drain(entry);
    }
    await flowing;
  } catch (error) {
    extract.destroy();
    source.destroy();
    // Bytes after the end-of-archive that are no tar header (random data, a truncated second tar)
    // fail the parser; they are the same fault as a joined tar, and are named as one.
    if (!(error instanceof AppError) && nextHeader !== undefined && recent.allZero(nextHeader, 512) === true && recent.nonZeroFrom(nextHeader + 512) === true) {
      throw rejectBundle(`The bundle holds data after ${AFTER_END_OF_ARCHIVE}`);
    }
    throw describeStreamError(error);
  }

  const escape = tree.finish();
  if (escape) throw rejectBundle(escape);
  if (fileCount === 0) throw rejectBundle('The bundle holds no files');
  const root = commonRoot(contentPaths, directories);
  const prefix = root === '' ? '' : `${root}/`;
  const relativeFiles = files.filter((file) => file.path.startsWith(prefix)).map((file) => ({ path: file.path.slice(prefix.length), size: file.size }));
  const relativeLinks = onnxLinks.filter((link) => link.path.startsWith(prefix))
    .slice(0, MANIFEST_LINK_LIST_LIMIT).map((link) => ({ ...link, path: link.path.slice(prefix.length) }));
  const params = sidecars.get(`${prefix}params.json`);
  const labels = sidecars.get(`${prefix}labels.txt`);
  const parsedParams = params ? parseParams(params) : undefined;
  const builtinRuntime = builtinRuntimeVerdict({ files: relativeFiles, onnxLinks: relativeLinks, ...(parsedParams ? { params: parsedParams } : {}) }, limits.maxBuiltinModelBytes);
  const relativeBoosters = boosterJson.filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length));
  const framework = detectFramework(relativeFiles.map((file) => file.path), relativeBoosters);
  const relativeFindings = new Map([...onnxFindings].filter(([path]) => path.startsWith(prefix)).map(([path, finding]) => [path.slice(prefix.length), finding]));

  const manifest: BundleManifest = {
    root,
    fileCount,
    unpackedBytes: inflated.bytes,
    files: listedFiles(relativeFiles, builtinRuntime),
    ...(relativeLinks.length ? { onnxLinks: relativeLinks } : {}),
    ...(framework ? { framework } : {}),
    ...(parsedParams ? { params: parsedParams } : {}),
    ...(labels ? { labels: parseLabels(labels) } : {}),
    ...(sklearnVersion ? { sklearnVersion } : {}),
    boosterJson: relativeBoosters,
    ...(contentPaths.some((path) => path === 'code' || path.startsWith('code/')) ? { containerCodeDir: true as const } : {}),
    builtinRuntime,
    signature: bundleSignature(builtinRuntime, relativeFindings, parsedParams),
  };
  return { sha256: meter.hash.digest('hex'), size: meter.size, manifest };
}
