import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, startS3Server, type LocalS3Server } from '../../local/s3-server';

const BUCKET = 'multipart';
let directory: string;
let server: LocalS3Server;
let s3: S3Client;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mlhub-s3-mp-'));
  server = await startS3Server({ directory, host: '127.0.0.1', buckets: [BUCKET] });
  s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('the local S3 server, multipart uploads', () => {
  it('lists the parts received so far, then assembles them byte-exact', async () => {
    const parts = [randomBytes(5 * 1024 * 1024 + 17), randomBytes(1234)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'a/b.tar.gz' }));
    expect((await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'a/b.tar.gz', UploadId }))).Parts ?? []).toEqual([]);
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      etags.push((await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'a/b.tar.gz', UploadId, PartNumber: i + 1, Body: body }))).ETag ?? '');
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'a/b.tar.gz', UploadId }));
    expect(listed.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag])).toEqual([[1, parts[0]?.length, etags[0]], [2, parts[1]?.length, etags[1]]]);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'a/b.tar.gz', UploadId, MultipartUpload: { Parts: listed.Parts?.map((part) => ({ PartNumber: part.PartNumber, ETag: part.ETag })) } }));
    const stored = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/b.tar.gz' }))).Body!.transformToByteArray());
    expect(stored.equals(Buffer.concat(parts))).toBe(true);
  });

  it('aborts an upload, after which it no longer exists', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'c' }));
    await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'c', UploadId, PartNumber: 1, Body: Buffer.from('x') }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'c', UploadId }));
    await expect(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'c', UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'c', UploadId, PartNumber: 2, Body: Buffer.from('y') }))).rejects.toThrow();
  });
});
