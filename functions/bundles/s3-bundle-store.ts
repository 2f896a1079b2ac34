import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ReceivedPart } from '../uploads/received-part';
import { BUNDLE_ROOT } from './bundle-keys';
import type { BundleStore, StoredObject } from './bundle-store';
import type { ObjectPin } from '../versions/version-records';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';

const DELETE_BATCH = 1000;
/**
 * Signing Content-Length makes S3 refuse a body of any other size; signing `If-None-Match: *`
 * makes it refuse the PUT once the key holds an object, so a URL writes its object at most once.
 */
const SIZE_BOUND = new Set(['content-length']);
const WRITE_ONCE = new Set(['content-length', 'if-none-match']);

/** A pinned read: exactly the object whose ETag (and, in a versioned bucket, version) the check saw. */
const pinned = (pin: ObjectPin | undefined) => (pin ? { IfMatch: pin.etag, ...(pin.versionId ? { VersionId: pin.versionId } : {}) } : {});

/** BundleStore on one S3 bucket. */
export class S3BundleStore implements BundleStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, bytes: Buffer, sha256Hex: string): Promise<void> {
    await this.client.send(new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: bytes,
      ContentLength: bytes.length,
      ContentType: 'application/gzip',
      ChecksumSHA256: Buffer.from(sha256Hex, 'hex').toString('base64'),
      Metadata: { sha256: sha256Hex },
      IfNoneMatch: '*',
    }));
  }

  async get(key: string, pin?: ObjectPin): Promise<Buffer> {
    const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...pinned(pin) }));
    if (!result.Body) throw new Error(`S3 returned no body for ${key}`);
    return Buffer.from(await result.Body.transformToByteArray());
  }

  async open(key: string, pin?: ObjectPin): Promise<Readable> {
    const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...pinned(pin) }));
    if (!(result.Body instanceof Readable)) throw new Error(`S3 returned no stream for ${key}`);
    return result.Body;
  }

  async readRange(key: string, start: number, end: number, pin?: ObjectPin): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end - 1}`, ...pinned(pin) }));
    if (!result.Body) throw new Error(`S3 returned no body for ${key}`);
    return result.Body.transformToByteArray();
  }

  async openRange(key: string, start: number, end: number, pin?: ObjectPin): Promise<Readable> {
    if (end <= start) return Readable.from([]);
    const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end - 1}`, ...pinned(pin) }));
    if (!(result.Body instanceof Readable)) throw new Error(`S3 returned no stream for ${key}`);
    return result.Body;
  }

  openWrite(key: string, contentType: string): { stream: Writable; done: Promise<void>; abort(): Promise<void> } {
    const stream = new PassThrough();
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: stream, ContentType: contentType } });
    const done = upload.done().then(() => undefined, (error: unknown) => {
      // The writer would otherwise wait for ever on a stream nobody reads any more.
      stream.destroy(error as Error);
      throw error;
    });
    // Whoever awaits `done` sees a failure; the stream's own error is for its writer. A writer that
    // gave up (aborted) may never await `done`: its rejection must not end the process as unhandled.
    stream.on('error', () => undefined);
    done.catch(() => undefined);
    return { stream, done, abort: () => upload.abort() };
  }

  async retire(key: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.alloc(0), ContentLength: 0, Metadata: { retired: 'true' } }));
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: DELETE_BATCH }));
      const objects = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (objects.length > 0) {
        const result = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }));
        const failed = result.Errors ?? [];
        if (failed.length > 0) throw new Error(`S3 could not delete ${failed.length} object(s) under ${prefix}: ${failed[0]?.Code} ${failed[0]?.Message}`);
        deleted += objects.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0, pin: { etag: head.ETag ?? '', ...(head.VersionId && head.VersionId !== 'null' ? { versionId: head.VersionId } : {}) } };
    } catch (error) {
      if ((error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  presignDownload(key: string, filename: string, expiresSeconds: number, pin?: ObjectPin): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      // Only the version id goes into the URL: an If-Match there would be a header every client must send.
      ...(pin?.versionId ? { VersionId: pin.versionId } : {}),
      ResponseContentDisposition: `attachment; filename="${filename}"`,
      ResponseContentType: 'application/gzip',
    }), { expiresIn: expiresSeconds });
  }

  async presignPut(key: string, size: number, expiresSeconds: number): Promise<{ url: string; headers: Record<string, string> }> {
    const url = await getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentLength: size, IfNoneMatch: '*' }), { expiresIn: expiresSeconds, signableHeaders: WRITE_ONCE });
    return { url, headers: { 'if-none-match': '*' } };
  }

  async startMultipart(key: string): Promise<string> {
    const result = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/gzip' }));
    if (!result.UploadId) throw new Error(`S3 gave no upload id for ${key}`);
    return result.UploadId;
  }

  presignPart(key: string, uploadId: string, part: number, size: number, expiresSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: part, ContentLength: size }), { expiresIn: expiresSeconds, signableHeaders: SIZE_BOUND });
  }

  async listParts(key: string, uploadId: string): Promise<ReceivedPart[] | undefined> {
    const parts: ReceivedPart[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }));
        for (const part of page.Parts ?? []) parts.push({ number: part.PartNumber ?? 0, size: part.Size ?? 0, etag: part.ETag ?? '' });
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (error) {
      if ((error as Error).name === 'NoSuchUpload') return undefined;
      throw error;
    }
    return parts;
  }

  async completeMultipart(key: string, uploadId: string, parts: readonly ReceivedPart[]): Promise<void> {
    await this.client.send(new CompleteMultipartUploadCommand({
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.number, ETag: part.etag })) },
      IfNoneMatch: '*',
    }));
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if ((error as Error).name !== 'NoSuchUpload') throw error;
    }
  }

  /** Lists nothing under the bundle prefix: proves the bucket answers with the narrowest grant. */
  async ping(): Promise<void> {
    await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: BUNDLE_ROOT, MaxKeys: 0 }));
  }
}
