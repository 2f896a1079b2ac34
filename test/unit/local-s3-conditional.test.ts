import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, startS3Server, type LocalS3Server } from '../../local/s3-server';

const BUCKET = 'conditional';
let directory: string;
let server: LocalS3Server;
let s3: S3Client;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mlhub-s3-cond-'));
  server = await startS3Server({ directory, host: '127.0.0.1', buckets: [BUCKET] });
  s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', maxAttempts: 1 });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

async function read(key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
}

async function startMultipart(key: string, body: Buffer) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const { ETag } = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: body }));
  return { UploadId: UploadId!, parts: [{ PartNumber: 1, ETag: ETag! }] };
}

describe('the local S3 server, conditional writes (If-None-Match: *)', () => {
  it('PutObject creates a missing key, then answers 412 PreconditionFailed and keeps the first bytes', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    await expect(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: 'second', IfNoneMatch: '*' })))
      .rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(await read('once')).toBe('first');
  });

  it('a presigned PUT with if-none-match among its signed headers writes once, then 412s', async () => {
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'presigned-once', IfNoneMatch: '*' }), { expiresIn: 300, signableHeaders: new Set(['if-none-match']) });
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toContain('if-none-match');
    const put = (body: string) => fetch(url, { method: 'PUT', body, headers: { 'if-none-match': '*' } });
    expect((await put('good')).status).toBe(200);
    const again = await put('evil');
    expect(again.status).toBe(412);
    expect(await again.text()).toContain('<Code>PreconditionFailed</Code>');
    expect(await read('presigned-once')).toBe('good');
  });

  it('of many conditional PUTs racing for one key, exactly one lands', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => `racer-${i}`);
    const results = await Promise.allSettled(bodies.map((Body) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race', Body, IfNoneMatch: '*' }))));
    const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [bodies[i]] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected').map((result) => (result as PromiseRejectedResult).reason.name)).toEqual(Array(7).fill('PreconditionFailed'));
    expect(await read('race')).toBe(winners[0]);
  });

  it('If-None-Match with an ETag on a write is not implemented, as on S3', async () => {
    await expect(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'etag-none-match', Body: 'x', IfNoneMatch: '"abc"' })))
      .rejects.toMatchObject({ $metadata: { httpStatusCode: 501 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'etag-none-match' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('CompleteMultipartUpload onto an existing key answers 412, keeps the object and the upload', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mp-taken', Body: 'original' }));
    const { UploadId, parts } = await startMultipart('mp-taken', Buffer.from('replacement'));
    await expect(s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp-taken', UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: parts } })))
      .rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(await read('mp-taken')).toBe('original');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp-taken', UploadId }));
  });

  it('CompleteMultipartUpload onto a free key succeeds with If-None-Match: *', async () => {
    const { UploadId, parts } = await startMultipart('mp-free', Buffer.from('assembled'));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp-free', UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: parts } }));
    expect(await read('mp-free')).toBe('assembled');
  });

  it('CompleteMultipartUpload refuses a part whose ETag differs (InvalidPart), writing nothing', async () => {
    const { UploadId } = await startMultipart('mp-bad-part', Buffer.from('x'));
    await expect(s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp-bad-part', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] } })))
      .rejects.toMatchObject({ name: 'InvalidPart', $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mp-bad-part' }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});

describe('the local S3 server, If-Match', () => {
  it('GetObject and HeadObject answer 412 when the ETag differs, and the object when it matches', async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tagged', Body: 'v1' }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'tagged', IfMatch: ETag }))).Body!.transformToString()).toBe('v1');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tagged', Body: 'v2' }));
    await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'tagged', IfMatch: ETag }))).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tagged', IfMatch: ETag }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
  });

  it('PutObject with If-Match overwrites only the version it names; on a missing key it is NoSuchKey', async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas', Body: 'one' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas', Body: 'two', IfMatch: ETag }));
    await expect(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas', Body: 'three', IfMatch: ETag }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    expect(await read('cas')).toBe('two');
    await expect(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas-missing', Body: 'x', IfMatch: ETag }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});

describe('the local S3 server, reads and writes racing', () => {
  it('an object deleted while a GET streams it: the reader gets all its bytes, the server stays up', async () => {
    const body = randomBytes(8 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doomed', Body: body }));
    for (let round = 0; round < 10; round += 1) {
      const reading = s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doomed' })).then(async (answer) => Buffer.from(await answer.Body!.transformToByteArray()));
      const deleting = s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doomed' }));
      const [got] = await Promise.allSettled([reading, deleting]);
      // Either the read came first and has every byte, or the delete came first and it is NoSuchKey.
      if (got.status === 'fulfilled') expect(got.value.equals(body)).toBe(true);
      else expect(got.reason).toMatchObject({ name: 'NoSuchKey' });
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doomed', Body: body }));
    }
    expect((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'doomed' }))).KeyCount).toBe(1); // still answering
  });

  it('complete and abort of one upload at once: exactly one wins, and no half object is left', async () => {
    for (let round = 0; round < 10; round += 1) {
      const key = `complete-abort-${round}`;
      const body = randomBytes(6 * 1024 * 1024);
      const { UploadId, parts } = await startMultipart(key, body);
      const [completed, aborted] = await Promise.allSettled([
        s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: parts } })),
        s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId })),
      ]);
      expect([completed.status, aborted.status].filter((status) => status === 'fulfilled')).toHaveLength(1);
      if (completed.status === 'fulfilled') {
        expect(Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray()).equals(body)).toBe(true);
        expect((aborted as PromiseRejectedResult).reason).toMatchObject({ name: 'NoSuchUpload' });
      } else {
        expect(completed.reason).toMatchObject({ name: 'NoSuchUpload' });
        await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
      }
    }
  });
});
