import { createHash } from 'node:crypto';
import { ReadStream, createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type S3rver from 's3rver';

/**
 * What s3rver 3.7 lacks or gets wrong for MLHub's resumable uploads, mended in one place:
 * - ListParts and AbortMultipartUpload are not implemented;
 * - UploadPart, PutObject and CompleteMultipartUpload report success (and CompleteMultipartUpload
 *   fires its ObjectCreated event) before the bytes are on disk, so a quick reader sees a short object;
 * - DeleteObjects deletes concurrently and races pruning empty folders (InternalError);
 * - GetObject reads in 64 KiB chunks, which makes a 1 GiB bundle cost seconds of CPU to serve.
 * The fixes work on s3rver's own store and its on-disk layout, which this pinned version fixes.
 */

interface StoredObject {
  content: unknown;
}

interface S3ObjectLike {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer | Readable;
  readonly metadata: Record<string, string>;
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putObject(object: S3ObjectLike): Promise<{ size: number; md5: string }>;
  putObjectMultipart(bucket: string, uploadId: string, parts: readonly { number: number }[]): Promise<{ size: number; md5: string }>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  getObject(bucket: string, key: string, options?: unknown): Promise<StoredObject | null>;
  putPart(bucket: string, uploadId: string, partNumber: string | number, content: Readable): Promise<{ size: number; md5: string }>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

const storeOf = (s3rver: S3rver): FilesystemStore => (s3rver as unknown as { store: FilesystemStore }).store;

const uploadDir = (store: FilesystemStore, bucket: string, uploadId: string): string =>
  join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);

function serialiseDeletes(store: FilesystemStore): void {
  const deleteOne = store.deleteObject.bind(store);
  let queue: Promise<unknown> = Promise.resolve();
  store.deleteObject = (bucket, key) => {
    const run = queue.then(() => deleteOne(bucket, key));
    queue = run.catch(() => undefined);
    return run;
  };
}

const READ_CHUNK_BYTES = 1024 * 1024;

function largeReads(store: FilesystemStore): void {
  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    const object = await getObject(bucket, key, options);
    const content = object?.content;
    if (object && content instanceof ReadStream) {
      // Reopen the same byte range with large chunks; the small-chunk stream is dropped unread.
      const { path, start, end } = content as ReadStream & { start?: number; end?: number };
      content.destroy();
      object.content = createReadStream(path, { start: start ?? 0, ...(end !== undefined && end !== Infinity ? { end } : {}), highWaterMark: READ_CHUNK_BYTES });
    }
    return object;
  };
}

/** s3rver's own object model, which picks the metadata S3 keeps. */
const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object.js') as new (bucket: string, key: string, content: unknown, metadata: Record<string, string>) => S3ObjectLike;

function durableObjects(store: FilesystemStore): void {
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    if (Buffer.isBuffer(object.content)) {
      md5.update(object.content);
      size = object.content.length;
      await writeFile(objectPath, object.content);
    } else {
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(object.content, meter, createWriteStream(objectPath));
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const directory = uploadDir(store, bucket, uploadId);
    const [key, metadata] = await Promise.all([readFile(join(directory, 'key'), 'utf8'), readFile(join(directory, 'metadata'), 'utf8').then((text) => JSON.parse(text) as Record<string, string>)]);
    const numbers = parts.map((part) => part.number).sort((a, b) => a - b);
    const content = Readable.from((async function* () {
      for (const number of numbers) yield* createReadStream(join(directory, String(number)), { highWaterMark: READ_CHUNK_BYTES });
    })());
    const result = await store.putObject(new S3Object(bucket, key, content, metadata));
    await rm(directory, { recursive: true, force: true });
    return result;
  };
}

function durableParts(store: FilesystemStore): void {
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const directory = uploadDir(store, bucket, uploadId);
    await stat(directory); // an unknown upload fails here, before any byte is stored
    const partPath = join(directory, String(partNumber));
    const md5 = createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    await pipeline(content, meter, createWriteStream(partPath));
    const digest = md5.digest('hex');
    await writeFile(`${partPath}.md5`, digest);
    return { size, md5: digest };
  };
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function sendXml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

const noSuchUpload = (response: ServerResponse, uploadId: string) =>
  sendXml(response, 404, `<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xmlEscape(uploadId)}</UploadId></Error>`);

async function listParts(store: FilesystemStore, bucket: string, key: string, uploadId: string, response: ServerResponse): Promise<void> {
  const directory = uploadDir(store, bucket, uploadId);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    noSuchUpload(response, uploadId);
    return;
  }
  const numbers = names.filter((name) => /^\d+$/.test(name) && names.includes(`${name}.md5`)).map(Number).sort((a, b) => a - b);
  const parts = await Promise.all(numbers.map(async (number) => {
    const [info, md5] = await Promise.all([stat(join(directory, String(number))), readFile(join(directory, `${number}.md5`), 'utf8')]);
    return `<Part><PartNumber>${number}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5.trim()}"</ETag><Size>${info.size}</Size></Part>`;
  }));
  sendXml(response, 200, `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(uploadId)}</UploadId><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`);
}

async function abortUpload(store: FilesystemStore, bucket: string, uploadId: string, response: ServerResponse): Promise<void> {
  const directory = uploadDir(store, bucket, uploadId);
  try {
    await stat(directory);
  } catch {
    noSuchUpload(response, uploadId);
    return;
  }
  await rm(directory, { recursive: true, force: true });
  response.writeHead(204);
  response.end();
}

/** Applies the store fixes and returns a handler for the operations s3rver lacks; it answers false for the rest. */
export function extendS3rver(s3rver: S3rver): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  const store = storeOf(s3rver);
  serialiseDeletes(store);
  durableParts(store);
  durableObjects(store);
  largeReads(store);
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://placeholder');
    const uploadId = url.searchParams.get('uploadId');
    if (uploadId === null || !/^[0-9a-f]+$/.test(uploadId)) return false;
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    if (request.method === 'GET') {
      await listParts(store, bucket, key, uploadId, response);
      return true;
    }
    if (request.method === 'DELETE') {
      await abortUpload(store, bucket, uploadId, response);
      return true;
    }
    return false;
  };
}
