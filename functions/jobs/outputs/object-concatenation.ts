import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/**
 * One object written as the concatenation of byte ranges of stored objects and small runs of
 * bytes, with memory bounded whatever the total size:
 * - by multipart copy (S3 API Reference, UploadPartCopy) when the segments are stored ranges of at
 *   least 5 MiB, S3's minimum part size ("Amazon S3 multipart upload limits": parts of 5 MiB to
 *   5 GiB, the last part excepted, at most 10,000 parts), then a tail under 5 MiB (copyPlan): S3
 *   moves the ranges' bytes, none pass through here; the tail is read and uploaded as the last part;
 * - else streamed through lib-storage's Upload: ranged GETs read in order and re-uploaded, holding
 *   at most `queueSize` parts of `partSize` bytes (4 × 5 MiB for results up to ~48 GiB).
 * The target is written whole or not at all (a multipart upload is aborted on failure), and the same
 * segments give the same bytes, so a retried assembly replaces the object with an identical one.
 */
export type Segment =
  /** Bytes [start, end) of a stored object. */
  | { readonly key: string; readonly start: number; readonly end: number }
  | { readonly bytes: Uint8Array };

export interface ConcatenationTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
}

export interface Concatenated {
  readonly key: string;
  readonly bytes: number;
  /** 'copy': multipart copy; 'stream': read and re-uploaded; 'put': nothing to copy (all inline bytes, or empty). */
  readonly method: 'copy' | 'stream' | 'put';
}

export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000;
/** Parts copied at once: S3 does the work, so a few in flight keep the finalizer short. */
const COPY_CONCURRENCY = 4;
const STREAM_QUEUE = 4;

const lengthOf = (segment: Segment): number => ('bytes' in segment ? segment.bytes.length : segment.end - segment.start);

/**
 * How S3 can copy these (non-empty) segments as the parts of one upload, or undefined: stored
 * ranges of 5 MiB to 5 GiB copied as parts, then a tail (what follows the last such range: small
 * ranges and inline bytes, under 5 MiB together) read and uploaded as the last part, or copied when
 * it is one stored range. The tail is
 * what lets a Parquet join copy: its last part's row groups are rarely 5 MiB, and its footer follows.
 */
export function copyPlan(segments: readonly Segment[]): { copies: ObjectRange[]; tail: Segment[] } | undefined {
  let split = 0;
  while (split < segments.length) {
    const segment = segments[split]!;
    if ('bytes' in segment || lengthOf(segment) < MIN_PART_BYTES || lengthOf(segment) > MAX_PART_BYTES) break;
    split += 1;
  }
  const copies = segments.slice(0, split) as ObjectRange[];
  const tail = segments.slice(split);
  const tailBytes = tail.reduce((total, segment) => total + lengthOf(segment), 0);
  const lastRange = tail.length === 1 && 'key' in tail[0]! && tailBytes <= MAX_PART_BYTES;
  if (copies.length === 0 || copies.length + (tail.length > 0 ? 1 : 0) > MAX_PARTS || (tailBytes >= MIN_PART_BYTES && !lastRange)) return undefined;
  // A lone stored range at the end is copied too: the last part may be any size.
  return lastRange ? { copies: [...copies, tail[0] as ObjectRange], tail: [] } : { copies, tail };
}

type ObjectRange = Extract<Segment, { key: string }>;

/** The `x-amz-copy-source` of a key: `bucket/key` with each path segment URL-encoded (S3 API Reference, CopyObject). */
export const copySource = (bucket: string, key: string): string => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

/** Writes the concatenation of the segments, in order, to the target key. */
export async function concatenateObjects(target: ConcatenationTarget, segments: readonly Segment[]): Promise<Concatenated> {
  const parts = segments.filter((segment) => lengthOf(segment) > 0);
  const bytes = parts.reduce((total, segment) => total + lengthOf(segment), 0);
  for (const segment of parts) {
    if ('key' in segment && !(Number.isSafeInteger(segment.start) && segment.start >= 0 && segment.end > segment.start)) throw new RangeError(`segment of ${segment.key} is [${segment.start}, ${segment.end})`);
  }
  if (parts.every((segment) => 'bytes' in segment)) {
    const body = Buffer.concat(parts.map((segment) => (segment as { bytes: Uint8Array }).bytes));
    await target.client.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ContentLength: body.length, ContentType: target.contentType }));
    return { key: target.key, bytes, method: 'put' };
  }
  const plan = copyPlan(parts);
  if (plan) {
    await copyParts(target, plan.copies, plan.tail);
    return { key: target.key, bytes, method: 'copy' };
  }
  await streamParts(target, parts, bytes);
  return { key: target.key, bytes, method: 'stream' };
}

async function readAll(client: S3Client, bucket: string, segments: readonly Segment[]): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of segmentBytes(client, bucket, segments)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function copyParts(target: ConcatenationTarget, copies: readonly ObjectRange[], tail: readonly Segment[]): Promise<void> {
  const { client, bucket, key } = target;
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: target.contentType }));
  if (!UploadId) throw new Error(`S3 started no multipart upload for ${key}`);
  try {
    const completed: CompletedPart[] = new Array(copies.length);
    let next = 0;
    const copyNext = async (): Promise<void> => {
      while (next < copies.length) {
        const index = next;
        next += 1;
        const segment = copies[index]!;
        const { CopyPartResult } = await client.send(new UploadPartCopyCommand({
          Bucket: bucket, Key: key, UploadId, PartNumber: index + 1,
          CopySource: copySource(bucket, segment.key),
          CopySourceRange: `bytes=${segment.start}-${segment.end - 1}`,
        }));
        completed[index] = { PartNumber: index + 1, ETag: CopyPartResult?.ETag };
      }
    };
    await Promise.all(Array.from({ length: Math.min(COPY_CONCURRENCY, copies.length) }, copyNext));
    if (tail.length > 0) {
      const body = await readAll(client, bucket, tail);
      const PartNumber = copies.length + 1;
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body, ContentLength: body.length }));
      completed.push({ PartNumber, ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: completed } }));
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw error;
  }
}

/** The segments' bytes in order: ranged GETs, each read to its end before the next starts. */
async function* segmentBytes(client: S3Client, bucket: string, segments: readonly Segment[]): AsyncGenerator<Uint8Array> {
  for (const segment of segments) {
    if ('bytes' in segment) {
      yield segment.bytes;
      continue;
    }
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: segment.key, Range: `bytes=${segment.start}-${segment.end - 1}` }));
    if (!(Body instanceof Readable)) throw new Error(`S3 returned no stream for ${segment.key}`);
    let received = 0;
    for await (const chunk of Body as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      yield chunk;
    }
    // A body cut short must not pass for a shorter part: the file would be silently missing rows.
    if (received !== segment.end - segment.start) throw new Error(`S3 returned ${received} bytes of ${segment.key} [${segment.start}, ${segment.end})`);
  }
}

async function streamParts(target: ConcatenationTarget, segments: readonly Segment[], bytes: number): Promise<void> {
  const body = Readable.from(segmentBytes(target.client, target.bucket, segments), { objectMode: false });
  let failure: unknown;
  // Upload reads the body and rejects with its error; this only keeps the error from going unhandled.
  body.on('error', (error) => {
    failure ??= error;
  });
  const upload = new Upload({
    client: target.client,
    params: { Bucket: target.bucket, Key: target.key, Body: body, ContentType: target.contentType },
    partSize: Math.max(MIN_PART_BYTES, Math.ceil(bytes / MAX_PARTS)),
    queueSize: STREAM_QUEUE,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    body.destroy();
    throw failure ?? error;
  }
}
