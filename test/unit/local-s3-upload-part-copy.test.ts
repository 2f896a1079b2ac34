import { createHash, randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../support/local-s3';

const BUCKET = 'copies';
const MIB = 1024 * 1024;
let local: LocalS3;
let s3: S3Client;
const source = randomBytes(6 * MIB + 123);

beforeAll(async () => {
  local = await startLocalS3(BUCKET);
  s3 = local.s3;
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'src/a b+ü.bin', Body: source }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'src/tail', Body: Buffer.from('tail bytes') }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'src/empty', Body: Buffer.alloc(0) }));
});

afterAll(() => local?.close());

const md5 = (bytes: Buffer) => `"${createHash('md5').update(bytes).digest('hex')}"`;
const copySource = (key: string) => `${BUCKET}/${encodeURIComponent(key)}`;

const read = (key: string): Promise<Buffer> => local.read(key);

async function startUpload(key: string): Promise<string> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  return UploadId!;
}

describe('the local S3 server, UploadPartCopy', () => {
  it('copies whole objects and byte ranges into parts, which complete into their concatenation', async () => {
    const UploadId = await startUpload('out/joined');
    const first = await s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/joined', UploadId, PartNumber: 1, CopySource: copySource('src/a b+ü.bin') }));
    const second = await s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/joined', UploadId, PartNumber: 2, CopySource: copySource('src/a b+ü.bin'), CopySourceRange: `bytes=${MIB}-${6 * MIB + 2}` }));
    const third = await s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/joined', UploadId, PartNumber: 3, CopySource: `/${copySource('src/tail')}`, CopySourceRange: 'bytes=5-9' }));
    const expected = [source, source.subarray(MIB, 6 * MIB + 3), Buffer.from('bytes')];
    expect([first, second, third].map((result) => result.CopyPartResult?.ETag)).toEqual(expected.map(md5));
    expect(first.CopyPartResult?.LastModified).toBeInstanceOf(Date);
    const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'out/joined', UploadId }));
    expect(listed.Parts?.map((part) => [part.PartNumber, part.Size])).toEqual(expected.map((bytes, i) => [i + 1, bytes.length]));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'out/joined', UploadId, MultipartUpload: { Parts: listed.Parts?.map((part) => ({ PartNumber: part.PartNumber, ETag: part.ETag })) } }));
    expect((await read('out/joined')).equals(Buffer.concat(expected))).toBe(true);
  });

  it('mixes copied parts with uploaded ones, and a copy replaces a part of the same number', async () => {
    const UploadId = await startUpload('out/mixed');
    await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'out/mixed', UploadId, PartNumber: 1, Body: Buffer.from('replaced') }));
    const copied = await s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/mixed', UploadId, PartNumber: 1, CopySource: copySource('src/a b+ü.bin') }));
    const uploaded = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'out/mixed', UploadId, PartNumber: 2, Body: Buffer.from('footer') }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'out/mixed', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: copied.CopyPartResult?.ETag }, { PartNumber: 2, ETag: uploaded.ETag }] } }));
    expect((await read('out/mixed')).equals(Buffer.concat([source, Buffer.from('footer')]))).toBe(true);
  });

  it('copies an empty object into an empty part', async () => {
    const UploadId = await startUpload('out/empty');
    const copied = await s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/empty', UploadId, PartNumber: 1, CopySource: copySource('src/empty') }));
    expect(copied.CopyPartResult?.ETag).toBe(md5(Buffer.alloc(0)));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'out/empty', UploadId }));
  });

  it('answers NoSuchKey (404) for a missing source, NoSuchBucket for a missing bucket, InvalidArgument for a malformed source', async () => {
    const UploadId = await startUpload('out/missing');
    await expect(s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/missing', UploadId, PartNumber: 1, CopySource: copySource('src/nothing') })))
      .rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/missing', UploadId, PartNumber: 1, CopySource: 'no-such-bucket/x' })))
      .rejects.toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
    for (const source of [`${BUCKET}/%E0%A4%A`, BUCKET, `${BUCKET}/`, '../etc/passwd', `${BUCKET}/src/tail?versionId=3`]) {
      await expect(s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/missing', UploadId, PartNumber: 1, CopySource: source })), source)
        .rejects.toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    }
  });

  it('answers InvalidArgument (400) for a malformed range, a range past the end and a bad part number', async () => {
    const UploadId = await startUpload('out/ranges');
    for (const range of ['bytes=10-', 'bytes=-10', 'bytes=9-3', 'items=0-1', 'bytes=0-10']) {
      await expect(s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/ranges', UploadId, PartNumber: 1, CopySource: copySource('src/tail'), CopySourceRange: range })), range)
        .rejects.toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    }
    await expect(s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/ranges', UploadId, PartNumber: 10_001, CopySource: copySource('src/tail') })))
      .rejects.toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    expect((await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'out/ranges', UploadId }))).Parts ?? []).toEqual([]);
  });

  it('answers NoSuchUpload (404) for an aborted upload, an unknown id and an id of another key', async () => {
    const UploadId = await startUpload('out/aborted');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'out/aborted', UploadId }));
    const other = await startUpload('out/other');
    for (const [key, id] of [['out/aborted', UploadId], ['out/aborted', 'not-an-upload'], ['out/aborted', other]] as const) {
      await expect(s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: key, UploadId: id, PartNumber: 1, CopySource: copySource('src/tail') })), id)
        .rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    }
  });

  it('honours x-amz-copy-source-if-match', async () => {
    const UploadId = await startUpload('out/conditional');
    await expect(s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/conditional', UploadId, PartNumber: 1, CopySource: copySource('src/tail'), CopySourceIfMatch: '"0123"' })))
      .rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const copied = await s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'out/conditional', UploadId, PartNumber: 1, CopySource: copySource('src/tail'), CopySourceIfMatch: md5(Buffer.from('tail bytes')) }));
    expect(copied.CopyPartResult?.ETag).toBe(md5(Buffer.from('tail bytes')));
  });
});
