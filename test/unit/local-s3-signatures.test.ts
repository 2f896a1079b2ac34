import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, startS3Server, type LocalS3Server } from '../../local/s3-server';

const BUCKET = 'signed';
const KEY = 'models/m/1/bundle.tar.gz';
let directory: string;
let server: LocalS3Server;
let s3: S3Client;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mlhub-s3-sig-'));
  server = await startS3Server({ directory, host: '127.0.0.1', buckets: [BUCKET], errorLog: () => undefined });
  s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', maxAttempts: 1 });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(async () => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'the real bundle' }));
});

const stored = async () => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }))).Body!.transformToString();
const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((object) => object.Key).sort();

async function expectRefused(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(await response.text()).toContain(`<Code>${code}</Code>`);
}

/** A request signed the way the AWS SDK signs one, to send with fetch (and then alter). */
async function signedRequest(method: string, path: string, options: { body?: string; secret?: string; headers?: Record<string, string>; payloadHash?: string } = {}) {
  const url = new URL(path, server.endpoint);
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: { accessKeyId: LOCAL_S3_CREDENTIALS.accessKeyId, secretAccessKey: options.secret ?? LOCAL_S3_CREDENTIALS.secretAccessKey }, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
  const payloadHash = options.payloadHash ?? createHash('sha256').update(options.body ?? '').digest('hex');
  const request = await signer.sign(new HttpRequest({
    method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname,
    query: Object.fromEntries(url.searchParams.entries()),
    headers: { host: url.host, 'x-amz-content-sha256': payloadHash, ...options.headers },
    ...(options.body !== undefined ? { body: options.body } : {}),
  }));
  const headers = { ...request.headers } as Record<string, string>;
  delete headers.host;
  return { url: url.href, headers };
}

describe('the local S3 server refuses requests without a valid signature, changing nothing', () => {
  it.each([
    ['GET an object', 'GET', `/${BUCKET}/${KEY}`],
    ['HEAD an object', 'HEAD', `/${BUCKET}/${KEY}`],
    ['list the bucket', 'GET', `/${BUCKET}?list-type=2`],
    ['list the buckets', 'GET', '/'],
    ['PUT over an object', 'PUT', `/${BUCKET}/${KEY}`],
    ['DELETE an object', 'DELETE', `/${BUCKET}/${KEY}`],
    ['DeleteObjects', 'POST', `/${BUCKET}?delete`],
    ['start a multipart upload', 'POST', `/${BUCKET}/${KEY}?uploads`],
  ])('unsigned: %s is 403 AccessDenied', async (_label, method, path) => {
    const body = method === 'PUT' ? 'evil' : method === 'POST' ? `<Delete><Object><Key>${KEY}</Key></Object></Delete>` : undefined;
    const response = await fetch(new URL(path, server.endpoint), { method, ...(body ? { body } : {}) });
    expect(response.status).toBe(403);
    if (method !== 'HEAD') expect(await response.text()).toContain('<Code>AccessDenied</Code>');
    expect(await stored()).toBe('the real bundle');
    expect(await keys()).toEqual([KEY]);
  });

  it('a PUT signed with another secret is SignatureDoesNotMatch', async () => {
    const { url, headers } = await signedRequest('PUT', `/${BUCKET}/${KEY}`, { body: 'evil', secret: 'not-the-secret' });
    await expectRefused(await fetch(url, { method: 'PUT', headers, body: 'evil' }), 403, 'SignatureDoesNotMatch');
    expect(await stored()).toBe('the real bundle');
  });

  it('a DELETE signed with another secret is SignatureDoesNotMatch', async () => {
    const { url, headers } = await signedRequest('DELETE', `/${BUCKET}/${KEY}`, { secret: 'not-the-secret' });
    await expectRefused(await fetch(url, { method: 'DELETE', headers }), 403, 'SignatureDoesNotMatch');
    expect(await keys()).toEqual([KEY]);
  });

  it('a signed header changed on the way is SignatureDoesNotMatch', async () => {
    const { url, headers } = await signedRequest('PUT', `/${BUCKET}/${KEY}`, { body: 'fine', headers: { 'x-amz-meta-owner': 'alice' } });
    await expectRefused(await fetch(url, { method: 'PUT', headers: { ...headers, 'x-amz-meta-owner': 'mallory' }, body: 'fine' }), 403, 'SignatureDoesNotMatch');
    expect(await stored()).toBe('the real bundle');
  });

  it('an x-amz-* header added to a signed request is AccessDenied', async () => {
    const { url, headers } = await signedRequest('PUT', `/${BUCKET}/${KEY}`, { body: 'fine' });
    await expectRefused(await fetch(url, { method: 'PUT', headers: { ...headers, 'x-amz-meta-owner': 'mallory' }, body: 'fine' }), 403, 'AccessDenied');
    expect(await stored()).toBe('the real bundle');
  });

  it('a signed PUT replayed with another body of the same length is XAmzContentSHA256Mismatch', async () => {
    const { url, headers } = await signedRequest('PUT', `/${BUCKET}/${KEY}`, { body: 'good bytes' });
    expect((await fetch(url, { method: 'PUT', headers, body: 'good bytes' })).status).toBe(200);
    expect(await stored()).toBe('good bytes');
    await expectRefused(await fetch(url, { method: 'PUT', headers, body: 'evil bytes' }), 400, 'XAmzContentSHA256Mismatch');
    expect(await stored()).toBe('good bytes');
  });

  it('a signed DeleteObjects replayed with another key list is XAmzContentSHA256Mismatch', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'spare', Body: 'x' }));
    const body = '<Delete><Object><Key>spare</Key></Object></Delete>';
    const tampered = `<Delete><Object><Key>${KEY}</Key></Object></Delete>`;
    const { url, headers } = await signedRequest('POST', `/${BUCKET}?delete`, { body, headers: { 'content-md5': createHash('md5').update(tampered).digest('base64') } });
    await expectRefused(await fetch(url, { method: 'POST', headers, body: tampered }), 400, 'XAmzContentSHA256Mismatch');
    expect(await keys()).toEqual([KEY, 'spare']);
  });

  it('an x-amz-content-sha256 S3 does not know is refused', async () => {
    const { url, headers } = await signedRequest('PUT', `/${BUCKET}/${KEY}`, { body: 'x', payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' });
    await expectRefused(await fetch(url, { method: 'PUT', headers, body: 'x' }), 501, 'NotImplemented');
    const bogus = await signedRequest('PUT', `/${BUCKET}/${KEY}`, { body: 'x', payloadHash: 'whatever' });
    await expectRefused(await fetch(bogus.url, { method: 'PUT', headers: bogus.headers, body: 'x' }), 400, 'InvalidArgument');
    expect(await stored()).toBe('the real bundle');
  });
});

describe('the local S3 server accepts what the AWS SDK sends', () => {
  it('a streamed PutObject with checksums on (STREAMING-UNSIGNED-PAYLOAD-TRAILER) stores the bytes, not the chunk framing', async () => {
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });
    const seen: string[] = [];
    client.middlewareStack.add((next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      seen.push(headers['x-amz-content-sha256'] ?? '');
      return next(args);
    }, { step: 'finalizeRequest', priority: 'low' });
    const body = Buffer.from('streamed bundle bytes '.repeat(5000));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'streamed', Body: Readable.from([body]), ContentLength: body.length }));
    client.destroy();
    expect(seen).toEqual(['STREAMING-UNSIGNED-PAYLOAD-TRAILER']);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ContentEncoding).toBeUndefined();
  });

  it('an aws-chunked body whose trailing CRC32 is wrong is BadDigest, and nothing is stored', async () => {
    const chunked = '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    const { url, headers } = await signedRequest('PUT', `/${BUCKET}/bad-crc`, {
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5', 'x-amz-trailer': 'x-amz-checksum-crc32' },
    });
    await expectRefused(await fetch(url, { method: 'PUT', headers, body: chunked }), 400, 'BadDigest');
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'bad-crc' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('an aws-chunked body shorter than its decoded length is IncompleteBody, and nothing is stored', async () => {
    const { url, headers } = await signedRequest('PUT', `/${BUCKET}/short`, {
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '10' },
    });
    await expectRefused(await fetch(url, { method: 'PUT', headers, body: '5\r\nhello\r\n0\r\n\r\n' }), 400, 'IncompleteBody');
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'short' }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});
