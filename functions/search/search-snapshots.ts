import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/** Everything of search in the bucket lives under this prefix (the stack grants it alone: lib/access/). */
export const SEARCH_PREFIX = 'search/';
/** The pointer to the current snapshot. */
export const SEARCH_POINTER_KEY = `${SEARCH_PREFIX}current.json`;
const SNAPSHOT_PREFIX = `${SEARCH_PREFIX}snapshots/`;

/** A snapshot whose bytes cannot be read back: a rebuild replaces it, where an S3 error is only retried. */
export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
}

/** What `search/current.json` holds. */
export interface SnapshotPointer {
  /** The engine's format (SearchEngineKind.format): a reader of another format rebuilds instead. */
  readonly format: string;
  /** The snapshot object's key: `search/snapshots/<format>/<sequence>-<ms>.json.gz`, never overwritten. */
  readonly key: string;
  /** The last change-log sequence the snapshot includes: readers resume the log after it. */
  readonly sequence: number;
  readonly documents: number;
  /** ISO 8601. */
  readonly writtenAt: string;
}

/** A pointer read: the same as the ETag given (304), none, or a new one with its ETag. */
export type PointerRead =
  | { readonly status: 'unchanged' }
  | { readonly status: 'missing' }
  | { readonly status: 'found'; readonly pointer: SnapshotPointer; readonly etag: string };

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (error: unknown): boolean => error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound' || statusOf(error) === 404);

// A sequence is a change-log number (DynamoDB ADD on an integer): 1.5 or 1e300 is damage, and a
// reader trusting it would skip every change numbered below it (review 13c F1).
const isSequence = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * The first line of a snapshot object (inside the gzip), before the engine's bytes: the sequence
 * the snapshot holds, so a pointer naming another snapshot than its own is seen. Padded with
 * spaces to a multiple of 4 bytes so the engine's bytes keep their alignment.
 */
const ENVELOPE_TAG = 'mlhub-search-snapshot/1 ';

function envelope(sequence: number): Buffer {
  const line = `${ENVELOPE_TAG}${JSON.stringify({ sequence })}`;
  return Buffer.from(`${line}${' '.repeat((4 - ((line.length + 1) % 4)) % 4)}\n`, 'utf8');
}

/** A snapshot object's unzipped content: the sequence its envelope records and the engine's bytes. */
export interface SnapshotContent {
  readonly sequence: number;
  readonly bytes: Buffer;
}

function unwrap(key: string, content: Buffer): SnapshotContent {
  const newline = content.indexOf(0x0a);
  const line = newline === -1 ? '' : content.subarray(0, Math.min(newline, 200)).toString('utf8');
  let sequence: unknown;
  try {
    sequence = line.startsWith(ENVELOPE_TAG) ? (JSON.parse(line.slice(ENVELOPE_TAG.length)) as { sequence?: unknown }).sequence : undefined;
  } catch {
    sequence = undefined;
  }
  if (!isSequence(sequence)) throw new CorruptSnapshotError(`${key} does not say which change-log sequence it holds`);
  return { sequence, bytes: content.subarray(newline + 1) };
}

function pointerOf(text: string): SnapshotPointer | undefined {
  try {
    const value = JSON.parse(text) as Partial<SnapshotPointer>;
    if (typeof value.format !== 'string' || typeof value.key !== 'string' || !isSequence(value.sequence) || !isSequence(value.documents)) return undefined;
    return value as SnapshotPointer;
  } catch {
    return undefined;
  }
}

/** Gzipped, versioned snapshots of the search index in S3 and the pointer to the current one. */
export class SearchSnapshots {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {}

  /**
   * The pointer, with a conditional GET when `etag` is given (If-None-Match: S3 answers 304 when it
   * is unchanged). A pointer that does not parse counts as missing.
   */
  async readPointer(etag?: string): Promise<PointerRead> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: SEARCH_POINTER_KEY, ...(etag ? { IfNoneMatch: etag } : {}) }));
      const pointer = pointerOf(await result.Body?.transformToString('utf8') ?? '');
      return pointer && result.ETag ? { status: 'found', pointer, etag: result.ETag } : { status: 'missing' };
    } catch (error) {
      if (statusOf(error) === 304) return { status: 'unchanged' };
      if (isMissing(error)) return { status: 'missing' };
      throw error;
    }
  }

  /**
   * The snapshot's sequence and engine bytes, unzipped; undefined when the object is gone.
   * @throws CorruptSnapshotError for bytes that are not gzip or lack the envelope line; S3's own errors as they are
   */
  async readSnapshot(key: string): Promise<SnapshotContent | undefined> {
    let zipped: Uint8Array | undefined;
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      zipped = await result.Body?.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (!zipped) return undefined;
    let content: Buffer;
    try {
      content = await gunzip(zipped);
    } catch (error) {
      throw new CorruptSnapshotError(`${key} is not gzip (${(error as Error).message})`);
    }
    return unwrap(key, content);
  }

  /** Writes a snapshot under a key of its own, then the pointer to it; returns the pointer. */
  async write(bytes: Buffer, snapshot: { readonly format: string; readonly sequence: number; readonly documents: number }, now: Date = new Date()): Promise<SnapshotPointer> {
    const key = `${SNAPSHOT_PREFIX}${encodeURIComponent(snapshot.format)}/${String(snapshot.sequence).padStart(15, '0')}-${now.getTime()}.json.gz`;
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: await gzip(Buffer.concat([envelope(snapshot.sequence), bytes])), ContentType: 'application/gzip' }));
    const pointer: SnapshotPointer = { format: snapshot.format, key, sequence: snapshot.sequence, documents: snapshot.documents, writtenAt: now.toISOString() };
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: SEARCH_POINTER_KEY, Body: JSON.stringify(pointer), ContentType: 'application/json', CacheControl: 'no-cache' }));
    return pointer;
  }

  async deleteSnapshot(key: string): Promise<void> {
    if (!key.startsWith(SNAPSHOT_PREFIX)) return;
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
