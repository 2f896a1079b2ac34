import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type S3rver from 's3rver';

/**
 * What s3rver 3.7 lacks or gets wrong for MLHub, mended in one place:
 * - ListParts and AbortMultipartUpload are not implemented;
 * - conditional writes are not implemented: `If-None-Match: *` and `If-Match: <etag>` on
 *   PutObject and CompleteMultipartUpload, and `If-Match` on GetObject/HeadObject
 *   (S3 User Guide, "Conditional requests"; RFC 9110 §13.1.1);
 * - writes go straight to the object's file, so a reader sees a half-written object and a client
 *   that disconnects leaves one behind; here every write is staged and then renamed into place;
 * - reads reopen the file by name after checking it, so an object deleted in between (or while a
 *   read is being set up) crashes the process; here reads hold the file open from the check on;
 * - CompleteMultipartUpload neither checks the parts listed nor survives an abort running at the
 *   same time; DeleteObjects deletes concurrently and races pruning empty folders (InternalError);
 * - GetObject reads in 64 KiB chunks, which makes a 1 GiB bundle cost seconds of CPU to serve;
 * - UploadPartCopy (a part copied from a stored object, whole or a byte range) is refused as
 *   NotImplemented; the job finalizer assembles results with it (functions/jobs/outputs/).
 * Every change of what a key names (a commit, a delete, an abort) and every check before a read
 * runs under one lock, so a condition holds at the moment its write lands. The fixes work on
 * s3rver's own store and its on-disk layout, which this pinned version fixes.
 */

interface StoredObject {
  content: unknown;
  range?: { start: number; end: number };
}

interface S3ObjectLike {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer | Readable | null;
  readonly metadata: Record<string, string>;
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  putObject(object: S3ObjectLike): Promise<{ size: number; md5: string }>;
  putObjectMultipart(bucket: string, uploadId: string, parts: readonly { number: number; etag?: string }[]): Promise<{ size: number; md5: string }>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<StoredObject | null>;
  putPart(bucket: string, uploadId: string, partNumber: string | number, content: Readable): Promise<{ size: number; md5: string }>;
  deleteObject(bucket: string, key: string): Promise<void>;
  getBucket(bucket: string): Promise<unknown>;
}

const requireS3rver = createRequire(import.meta.url);
/** s3rver's own object model, which picks the metadata S3 keeps. */
const S3Object = requireS3rver('s3rver/lib/models/object.js') as new (bucket: string, key: string, content: unknown, metadata: Record<string, string>) => S3ObjectLike & { range?: unknown };
/** s3rver's error type: its error handler renders it as S3's XML error with the code's status. */
const S3ErrorClass = requireS3rver('s3rver/lib/models/error.js') as new (code: string, message: string, detail?: Record<string, string>) => Error & { status: number; expose: boolean };

/** An S3 error; `status` is given for codes s3rver's table lacks. */
export function s3Error(code: string, message: string, detail: Record<string, string> = {}, status?: number): Error {
  const error = new S3ErrorClass(code, message, detail);
  if (status !== undefined) {
    error.status = status;
    error.expose = status < 500;
  }
  return error;
}

const preconditionFailed = (condition: string) =>
  s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
const noSuchUpload = (uploadId: string) => s3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
const noSuchKey = (key: string) => s3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });

/** The request a store call serves, so that its headers' conditions and its response reach the store. */
interface RequestScope {
  readonly headers: IncomingMessage['headers'];
  readonly response: ServerResponse;
  readonly log: (line: string) => void;
}
const requestScope = new AsyncLocalStorage<RequestScope>();

/** One lock for every change of what a key names and every check before a read; each holder is short. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** S3 compares entity tags with their quotes removed (and `W/` is never produced by S3). */
const bareTag = (tag: string) => tag.trim().replace(/^W\//, '').replace(/"/g, '');

function headerOf(headers: IncomingMessage['headers'] | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value.join(',') : value;
}

interface WriteConditions {
  /** `If-None-Match: *`: the key must name no object. */
  readonly absent: boolean;
  /** `If-Match`: the key must name an object whose ETag is one of these (or any, with `*`). */
  readonly etags?: readonly string[];
}

/**
 * The conditions of the current write, from its headers. S3 accepts only `*` in If-None-Match on a
 * write (S3 API Reference, PutObject: "Expects the '*' (asterisk) character").
 */
function writeConditions(): WriteConditions {
  const headers = requestScope.getStore()?.headers;
  const noneMatch = headerOf(headers, 'if-none-match');
  const match = headerOf(headers, 'if-match');
  if (noneMatch !== undefined && noneMatch.trim() !== '*') {
    throw s3Error('NotImplemented', "A header you provided implies functionality that is not implemented: If-None-Match on a write takes only '*'", { Header: 'If-None-Match' });
  }
  return { absent: noneMatch !== undefined, ...(match !== undefined ? { etags: match.split(',').map(bareTag) } : {}) };
}

async function checkWriteConditions(store: FilesystemStore, bucket: string, key: string, conditions: WriteConditions): Promise<void> {
  if (!conditions.absent && !conditions.etags) return;
  let etag: string | undefined;
  try {
    etag = bareTag((await store.getMetadata(bucket, key)).etag ?? '');
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  if (conditions.absent && etag !== undefined) throw preconditionFailed('If-None-Match');
  if (conditions.etags) {
    // S3 answers a conditional overwrite of a missing key with NoSuchKey (S3 User Guide, "Conditional writes").
    if (etag === undefined) throw noSuchKey(key);
    if (!conditions.etags.includes('*') && !conditions.etags.includes(etag)) throw preconditionFailed('If-Match');
  }
}

/** `If-Match` on GetObject and HeadObject: 412 unless the object's ETag is listed (RFC 9110 §13.1.1). */
function checkReadConditions(metadata: Record<string, string>): void {
  const match = headerOf(requestScope.getStore()?.headers, 'if-match');
  if (match === undefined) return;
  const tags = match.split(',').map(bareTag);
  if (!tags.includes('*') && !tags.includes(bareTag(metadata.etag ?? ''))) throw preconditionFailed('If-Match');
}

const READ_CHUNK_BYTES = 1024 * 1024;

interface Staged {
  readonly path: string;
  readonly size: number;
  readonly md5: string;
}

/** `<bucket>/._S3rver_staging/`: a write's bytes until they are complete and renamed into place. */
const stagingDir = (store: FilesystemStore, bucket: string): string => store.getResourcePath(bucket, undefined, 'staging');

/** Streams bytes into a private file beside the bucket's objects, where no reader or listing sees them. */
async function stage(store: FilesystemStore, bucket: string, content: Buffer | Readable): Promise<Staged> {
  const directory = stagingDir(store, bucket);
  await mkdir(directory, { recursive: true });
  const path = join(directory, randomBytes(12).toString('hex'));
  const md5 = createHash('md5');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Buffer.isBuffer(content) ? Readable.from([content]) : content, meter, createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, size, md5: md5.digest('hex') };
}

async function commitObject(store: FilesystemStore, bucket: string, key: string, staged: Staged, metadata: Record<string, string>): Promise<void> {
  const objectPath = store.getResourcePath(bucket, key, 'object');
  await mkdir(dirname(objectPath), { recursive: true });
  await rename(staged.path, objectPath);
  await store.putMetadata(bucket, key, metadata, staged.md5);
}

const uploadDir = (store: FilesystemStore, bucket: string, uploadId: string): string =>
  join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);

function atomicWrites(store: FilesystemStore, lock: Mutex): void {
  store.putObject = async (object) => {
    const conditions = writeConditions();
    // Checked before the bytes arrive, so a refused write costs nothing, and again as it lands.
    await checkWriteConditions(store, object.bucket, object.key, conditions);
    const staged = await stage(store, object.bucket, object.content ?? Buffer.alloc(0));
    try {
      await lock.run(async () => {
        await checkWriteConditions(store, object.bucket, object.key, conditions);
        await commitObject(store, object.bucket, object.key, staged, object.metadata);
      });
    } finally {
      await rm(staged.path, { force: true });
    }
    return { size: staged.size, md5: staged.md5 };
  };

  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const directory = uploadDir(store, bucket, uploadId);
    await stat(directory).catch((error: unknown) => {
      throw isMissing(error) ? noSuchUpload(uploadId) : error;
    });
    const staged = await stage(store, bucket, content);
    try {
      await lock.run(async () => {
        // An abort that ran while the part arrived wins: the part has nowhere to go.
        await stat(directory).catch((error: unknown) => {
          throw isMissing(error) ? noSuchUpload(uploadId) : error;
        });
        const partPath = join(directory, String(partNumber));
        await rename(staged.path, partPath);
        await writeFile(`${partPath}.md5`, staged.md5);
      });
    } finally {
      await rm(staged.path, { force: true });
    }
    return { size: staged.size, md5: staged.md5 };
  };

  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const conditions = writeConditions();
    const directory = uploadDir(store, bucket, uploadId);
    // The parts are opened under the lock, so an abort from here on cannot pull them away mid-read.
    const opened = await lock.run(async () => {
      let key: string;
      let metadata: Record<string, string>;
      try {
        [key, metadata] = await Promise.all([
          readFile(join(directory, 'key'), 'utf8'),
          readFile(join(directory, 'metadata'), 'utf8').then((text) => JSON.parse(text) as Record<string, string>),
        ]);
      } catch (error) {
        throw isMissing(error) ? noSuchUpload(uploadId) : error;
      }
      await checkWriteConditions(store, bucket, key, conditions);
      return { key, metadata, handles: await openParts(directory, parts) };
    });
    let staged: Staged | undefined;
    try {
      const content = Readable.from((async function* () {
        for (const handle of opened.handles) yield* createReadStream('', { fd: handle, autoClose: false, start: 0, highWaterMark: READ_CHUNK_BYTES });
      })());
      staged = await stage(store, bucket, content);
      const ready = staged;
      await lock.run(async () => {
        await stat(directory).catch((error: unknown) => {
          throw isMissing(error) ? noSuchUpload(uploadId) : error;
        });
        await checkWriteConditions(store, bucket, opened.key, conditions);
        await commitObject(store, bucket, opened.key, ready, opened.metadata);
        await rm(directory, { recursive: true, force: true });
      });
      return { size: staged.size, md5: staged.md5 };
    } finally {
      await Promise.all(opened.handles.map((handle) => handle.close().catch(() => undefined)));
      if (staged) await rm(staged.path, { force: true });
    }
  };

  store.deleteObject = ((deleteOne) => (bucket: string, key: string) => lock.run(() => deleteOne(bucket, key)))(store.deleteObject.bind(store));
}

/** Opens the listed parts, checked as S3 checks them: ascending numbers, each stored with the ETag given. */
async function openParts(directory: string, parts: readonly { number: number; etag?: string }[]): Promise<FileHandle[]> {
  for (let i = 1; i < parts.length; i += 1) {
    if ((parts[i]?.number ?? 0) <= (parts[i - 1]?.number ?? 0)) throw s3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
  }
  const handles: FileHandle[] = [];
  try {
    for (const part of parts) {
      const invalid = s3Error('InvalidPart', 'One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part\'s entity tag.', { PartNumber: String(part.number) });
      const stored = await readFile(join(directory, `${part.number}.md5`), 'utf8').catch(() => undefined);
      if (stored === undefined || (part.etag !== undefined && bareTag(part.etag) !== stored.trim())) throw invalid;
      handles.push(await open(join(directory, String(part.number)), 'r').catch(() => {
        throw invalid;
      }));
    }
    return handles;
  } catch (error) {
    await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
    throw error;
  }
}

/**
 * GetObject and HeadObject read an open file: checked and opened under the lock, so a delete or an
 * overwrite after that point leaves this read its bytes. The stream closes with its response, read
 * or not (s3rver drops it unread on a 304), and a read error ends the response instead of the process.
 */
function steadyReads(store: FilesystemStore, lock: Mutex): void {
  store.getObject = (bucket, key, options) => lock.run(async () => {
    let metadata: Record<string, string>;
    try {
      metadata = await store.getMetadata(bucket, key);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    checkReadConditions(metadata);
    const lastByte = Math.max(0, Number(metadata['content-length']) - 1);
    const ranged = options !== undefined && (options.start !== undefined || Boolean(options.end));
    const range = { start: options?.start ?? 0, end: Math.min(options?.end ?? Infinity, lastByte) };
    const object = new S3Object(bucket, key, null, metadata) as StoredObject;
    if (ranged) object.range = range;
    if (range.start < 0 || range.end < range.start) return object; // s3rver answers InvalidRange
    let handle: FileHandle;
    try {
      handle = await open(store.getResourcePath(bucket, key, 'object'), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    const content = createReadStream('', { fd: handle, start: range.start, end: range.end, highWaterMark: READ_CHUNK_BYTES });
    const scope = requestScope.getStore();
    content.on('error', (error) => {
      scope?.log(`s3 read of ${bucket}/${key} failed: ${error.message}`);
      scope?.response.destroy();
    });
    scope?.response.once('close', () => content.destroy());
    object.content = content;
    return object;
  });
}

function sendXml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function sendError(response: ServerResponse, error: Error & { code?: string; status?: number; detail?: Record<string, string> }): void {
  const detail = Object.entries(error.detail ?? {}).map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`).join('');
  sendXml(response, error.status ?? 500, `<Error><Code>${xmlEscape(error.code ?? 'InternalError')}</Code><Message>${xmlEscape(error.message)}</Message>${detail}</Error>`);
}

async function listParts(store: FilesystemStore, bucket: string, key: string, uploadId: string, response: ServerResponse): Promise<void> {
  const directory = uploadDir(store, bucket, uploadId);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    throw isMissing(error) ? noSuchUpload(uploadId) : error;
  }
  const numbers = names.filter((name) => /^\d+$/.test(name) && names.includes(`${name}.md5`)).map(Number).sort((a, b) => a - b);
  // A part can vanish under an abort running now; the listing leaves it out, as a later one would.
  const parts = await Promise.all(numbers.map(async (number) => {
    try {
      const [info, md5] = await Promise.all([stat(join(directory, String(number))), readFile(join(directory, `${number}.md5`), 'utf8')]);
      return `<Part><PartNumber>${number}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5.trim()}"</ETag><Size>${info.size}</Size></Part>`;
    } catch (error) {
      if (isMissing(error)) return '';
      throw error;
    }
  }));
  sendXml(response, 200, `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(uploadId)}</UploadId><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`);
}

async function abortUpload(store: FilesystemStore, lock: Mutex, bucket: string, uploadId: string, response: ServerResponse): Promise<void> {
  const directory = uploadDir(store, bucket, uploadId);
  await lock.run(async () => {
    try {
      await stat(directory);
    } catch (error) {
      throw isMissing(error) ? noSuchUpload(uploadId) : error;
    }
    await rm(directory, { recursive: true, force: true });
  });
  response.writeHead(204);
  response.end();
}

/** S3's part numbers (S3 API Reference, UploadPart: "a positive integer between 1 and 10,000"). */
const MAX_PART_NUMBER = 10_000;
const copyRangeForm = () => s3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range' }, 400);

/**
 * `x-amz-copy-source` as S3 reads it: `bucket/key` or `/bucket/key`, URL-encoded, optionally
 * `?versionId=` (this store keeps no versions, so only `null` names anything).
 */
function copySource(header: string): { bucket: string; key: string } {
  const [path = '', query] = header.split('?');
  const invalid = () => s3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: header }, 400);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\//, '');
  } catch {
    throw invalid(); // a malformed %-escape
  }
  const slash = decoded.indexOf('/');
  const versionId = query === undefined ? undefined : new URLSearchParams(query).get('versionId');
  const bucket = decoded.slice(0, slash);
  // S3 bucket naming rules (S3 User Guide, "Bucket naming rules"), which also keep the name inside the store.
  if (slash <= 0 || slash === decoded.length - 1 || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || (versionId !== undefined && versionId !== null && versionId !== 'null')) {
    throw invalid();
  }
  return { bucket, key: decoded.slice(slash + 1) };
}

/** `x-amz-copy-source-range: bytes=first-last`, both inclusive, within the source's size (S3 API Reference, UploadPartCopy). */
function copyRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (!match) throw copyRangeForm();
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start > end) throw copyRangeForm();
  if (end >= size) throw s3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`, { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header }, 400);
  return { start, end };
}

/**
 * UploadPartCopy (S3 API Reference): a part of an upload made from a stored object's bytes, whole
 * or the `x-amz-copy-source-range` of it, answered with CopyPartResult (the part's ETag, the MD5 of
 * its bytes as for UploadPart, and LastModified). The source is opened under the lock, so a delete
 * after that point leaves the copy its bytes; the part lands under the lock, so an abort wins as it
 * does for UploadPart. `x-amz-copy-source-if-match` is honoured (412 PreconditionFailed).
 */
async function uploadPartCopy(store: FilesystemStore, lock: Mutex, target: { bucket: string; key: string; uploadId: string; partNumber: string | null }, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { bucket, key, uploadId } = target;
  const partNumber = Number(target.partNumber);
  if (!/^\d+$/.test(target.partNumber ?? '') || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw s3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: target.partNumber ?? '' }, 400);
  }
  const source = copySource(headerOf(request.headers, 'x-amz-copy-source') ?? '');
  const directory = uploadDir(store, bucket, uploadId);
  const missingUpload = (error: unknown) => {
    throw isMissing(error) ? noSuchUpload(uploadId) : error;
  };
  const opened = await lock.run(async () => {
    const uploadKey = await readFile(join(directory, 'key'), 'utf8').catch(missingUpload);
    if (uploadKey !== key) throw noSuchUpload(uploadId);
    if (!(await store.getBucket(source.bucket))) throw s3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: source.bucket });
    let metadata: Record<string, string>;
    try {
      metadata = await store.getMetadata(source.bucket, source.key);
    } catch (error) {
      throw isMissing(error) ? noSuchKey(source.key) : error;
    }
    const expected = headerOf(request.headers, 'x-amz-copy-source-if-match');
    if (expected !== undefined && !expected.split(',').map(bareTag).some((tag) => tag === '*' || tag === bareTag(metadata.etag ?? ''))) {
      throw preconditionFailed('x-amz-copy-source-If-Match');
    }
    const size = Number(metadata['content-length'] ?? 0);
    const range = copyRange(headerOf(request.headers, 'x-amz-copy-source-range'), size);
    const handle = await open(store.getResourcePath(source.bucket, source.key, 'object'), 'r').catch((error: unknown) => {
      throw isMissing(error) ? noSuchKey(source.key) : error;
    });
    return { handle, range: range ?? { start: 0, end: size - 1 } };
  });
  let staged: Staged | undefined;
  try {
    // An empty source copies to an empty part: a stream with end < start would read the whole file.
    const content = opened.range.end < opened.range.start
      ? Readable.from([])
      : createReadStream('', { fd: opened.handle, autoClose: false, start: opened.range.start, end: opened.range.end, highWaterMark: READ_CHUNK_BYTES });
    staged = await stage(store, bucket, content);
    const ready = staged;
    await lock.run(async () => {
      await stat(directory).catch(missingUpload);
      const partPath = join(directory, String(partNumber));
      await rename(ready.path, partPath);
      await writeFile(`${partPath}.md5`, ready.md5);
    });
    request.resume();
    sendXml(response, 200, `<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>${new Date().toISOString()}</LastModified><ETag>"${ready.md5}"</ETag></CopyPartResult>`);
  } finally {
    await opened.handle.close().catch(() => undefined);
    if (staged) await rm(staged.path, { force: true });
  }
}

export interface S3rverExtension {
  /**
   * Answers one request: ListParts, AbortMultipartUpload and UploadPartCopy here, everything else through s3rver,
   * with the request's conditions and response in scope for the store fixes. Never rejects: a
   * failure becomes an S3 XML error, or a destroyed response once the headers are out.
   */
  serve(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /**
   * Removes a bucket's staged writes. Only safe before the server listens: no write is in flight
   * then, so every staged file is one a killed process left behind (a PUT of hundreds of MB cut off
   * by kill -9 leaves all it received).
   */
  clearStaging(bucket: string): Promise<void>;
}

/** Applies the store fixes to s3rver; `log` gets a line for each failure a client cannot be told. */
export function extendS3rver(s3rver: S3rver, log: (line: string) => void): S3rverExtension {
  const store = (s3rver as unknown as { store: FilesystemStore }).store;
  const lock = new Mutex();
  atomicWrites(store, lock);
  steadyReads(store, lock);
  const forward = s3rver.callback();

  const own = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://placeholder');
    const uploadId = url.searchParams.get('uploadId');
    const copy = request.method === 'PUT' && headerOf(request.headers, 'x-amz-copy-source') !== undefined;
    // s3rver's upload ids are hex; any other names no upload (and never a path outside the store).
    if (uploadId !== null && copy && !/^[0-9a-f]+$/.test(uploadId)) throw noSuchUpload(uploadId);
    if (uploadId === null || !/^[0-9a-f]+$/.test(uploadId)) return false;
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    if (request.method === 'GET') {
      await listParts(store, bucket, key, uploadId, response);
      return true;
    }
    if (request.method === 'DELETE') {
      await abortUpload(store, lock, bucket, uploadId, response);
      return true;
    }
    if (copy) {
      await uploadPartCopy(store, lock, { bucket, key, uploadId, partNumber: url.searchParams.get('partNumber') }, request, response);
      return true;
    }
    return false;
  };

  return {
    clearStaging: (bucket) => rm(stagingDir(store, bucket), { recursive: true, force: true }),
    serve: (request, response) => requestScope.run({ headers: request.headers, response, log }, async () => {
      try {
        if (!(await own(request, response))) forward(request, response);
      } catch (error) {
        request.resume();
        const failure = error as Error & { status?: number };
        if (failure.status === undefined) log(`s3 ${request.method} ${request.url} failed: ${failure.message}`);
        if (response.headersSent) response.destroy();
        else sendError(response, failure.status === undefined ? s3Error('InternalError', 'We encountered an internal error. Please try again.') : failure);
      }
    }),
  };
}
