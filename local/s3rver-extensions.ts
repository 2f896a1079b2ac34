import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type S3rver from 's3rver';

/**
 * What s3rver 3.7 lacks or gets wrong for MLHub's resumable uploads, mended in one place:
 * - ListParts and AbortMultipartUpload are not implemented;
 * - UploadPart reports success before the part's bytes are on disk;
 * - DeleteObjects deletes concurrently and races pruning empty folders (InternalError).
 * The fixes work on s3rver's own store and its on-disk layout, which this pinned version fixes.
 */

interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
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
