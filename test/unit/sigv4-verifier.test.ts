import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SigV4Verifier } from '../../local/sigv4-verifier';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const endpoint = 'http://127.0.0.1:4599';
const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
const verifier = (now = new Date()) => new SigV4Verifier(new Map([[credentials.accessKeyId, credentials.secretAccessKey]]), () => now);

function incoming(url: string, method = 'GET', headers: Record<string, string> = {}) {
  const parsed = new URL(url);
  return { method, url: parsed.pathname + parsed.search, headers: { host: parsed.host, ...headers } };
}

describe('SigV4Verifier, presigned URLs made by the AWS SDK', () => {
  it('accepts an intact GET URL with response overrides', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'b', Key: 'models/a b/1/bundle.tar.gz', ResponseContentDisposition: 'attachment; filename="a.tar.gz"' }), { expiresIn: 300 });
    await expect(verifier().verify(incoming(url))).resolves.toEqual({ ok: true, accessKeyId: credentials.accessKeyId, signedBy: 'query' });
  });

  it('accepts an intact PUT URL', async () => {
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: 'b', Key: 'uploads/x' }), { expiresIn: 300 });
    await expect(verifier().verify(incoming(url, 'PUT'))).resolves.toMatchObject({ ok: true });
  });

  it.each([
    ['another key', (url: string) => url.replace('bundle.tar.gz', 'other.tar.gz')],
    ['another expiry', (url: string) => url.replace('X-Amz-Expires=300', 'X-Amz-Expires=900')],
    ['an added parameter', (url: string) => `${url}&partNumber=2`],
    ['a flipped signature digit', (url: string) => url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, d: string) => `X-Amz-Signature=${d === '0' ? '1' : '0'}`)],
  ])('rejects a URL with %s', async (_label, tamper) => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'b', Key: 'models/m/1/bundle.tar.gz' }), { expiresIn: 300 });
    await expect(verifier().verify(incoming(tamper(url)))).resolves.toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('rejects a URL used with another method', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 300 });
    await expect(verifier().verify(incoming(url, 'DELETE'))).resolves.toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('rejects an expired URL', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 60 });
    const later = new Date(Date.now() + 61_000);
    await expect(verifier(later).verify(incoming(url))).resolves.toEqual({ ok: false, code: 'AccessDenied', message: 'Request has expired' });
  });

  it('rejects an unknown access key', async () => {
    const stranger = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'OTHER', secretAccessKey: 'x' } });
    const url = await getSignedUrl(stranger, new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 60 });
    await expect(verifier().verify(incoming(url))).resolves.toMatchObject({ ok: false, code: 'InvalidAccessKeyId' });
  });
});

describe('SigV4Verifier, signed headers', () => {
  async function signed(secret: string, date = new Date()) {
    const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: { ...credentials, secretAccessKey: secret }, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
    const request = await signer.sign(new HttpRequest({
      method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 4599, path: '/b/k', query: { 'list-type': '2', prefix: 'models/' },
      headers: { host: '127.0.0.1:4599', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }), { signingDate: date });
    return { method: 'GET', url: '/b/k?list-type=2&prefix=models%2F', headers: request.headers as Record<string, string> };
  }

  it('accepts a request signed with the right secret', async () => {
    await expect(verifier().verify(await signed(credentials.secretAccessKey))).resolves.toMatchObject({ ok: true });
  });

  it('rejects a request signed with another secret', async () => {
    await expect(verifier().verify(await signed('wrong'))).resolves.toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('rejects a request signed long ago', async () => {
    await expect(verifier().verify(await signed(credentials.secretAccessKey, new Date(Date.now() - 3_600_000)))).resolves.toMatchObject({ ok: false, code: 'AccessDenied' });
  });

  it('refuses unsigned requests with AccessDenied, as S3 does on a private bucket', async () => {
    await expect(verifier().verify({ method: 'GET', url: '/b/k', headers: {} })).resolves.toMatchObject({ ok: false, code: 'AccessDenied' });
    await expect(verifier().verify({ method: 'GET', url: '/b?list-type=2', headers: { host: 'x' } })).resolves.toMatchObject({ ok: false, code: 'AccessDenied' });
  });

  it('refuses Signature Version 2, in the header or the query', async () => {
    await expect(verifier().verify({ method: 'GET', url: '/b/k', headers: { authorization: 'AWS AKIDLOCAL:c2lnbmF0dXJl' } })).resolves.toMatchObject({ ok: false, code: 'AccessDenied' });
    await expect(verifier().verify({ method: 'GET', url: '/b/k?AWSAccessKeyId=AKIDLOCAL&Expires=9999999999&Signature=abc', headers: {} })).resolves.toMatchObject({ ok: false, code: 'AccessDenied' });
  });

  it('refuses an x-amz-* header added outside the signature', async () => {
    const request = await signed(credentials.secretAccessKey);
    await expect(verifier().verify({ ...request, headers: { ...request.headers, 'x-amz-meta-owner': 'mallory' } }))
      .resolves.toMatchObject({ ok: false, code: 'AccessDenied', detail: { HeadersNotSigned: 'x-amz-meta-owner' } });
  });

  it('says the signature was in the header', async () => {
    await expect(verifier().verify(await signed(credentials.secretAccessKey))).resolves.toEqual({ ok: true, accessKeyId: credentials.accessKeyId, signedBy: 'header' });
  });
});

describe('SigV4Verifier, for a service that reads the whole body (the local Lambda endpoint)', () => {
  const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
  /** Signed as a JSON service's client signs: the path encoded twice, the body's hash in the signature, x-amz-content-sha256 sent or not. */
  async function lambdaRequest(body: string, options: { service?: string; sendHashHeader?: boolean } = {}) {
    const signer = new SignatureV4({ service: options.service ?? 'lambda', region: 'us-east-1', credentials, sha256: Hash.bind(null, 'sha256'), applyChecksum: options.sendHashHeader ?? true });
    const path = `/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:us-east-1:1:function:f')}/invocations`;
    const request = await signer.sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4599, path, headers: { host: '127.0.0.1:4599' }, body }));
    return { method: 'POST', url: path, headers: request.headers };
  }

  it('accepts the body that was signed, with or without x-amz-content-sha256', async () => {
    for (const sendHashHeader of [true, false]) {
      await expect(verifier().verify(await lambdaRequest('{"a":1}', { sendHashHeader }), { service: 'lambda', payloadSha256: sha256Hex('{"a":1}') })).resolves.toMatchObject({ ok: true, signedBy: 'header' });
    }
  });

  it('refuses another body, and a signature for another service', async () => {
    for (const sendHashHeader of [true, false]) {
      await expect(verifier().verify(await lambdaRequest('{"a":1}', { sendHashHeader }), { service: 'lambda', payloadSha256: sha256Hex('{"a":2}') })).resolves.toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    }
    await expect(verifier().verify(await lambdaRequest('{}', { service: 'execute-api' }), { service: 'lambda', payloadSha256: sha256Hex('{}') }))
      .resolves.toEqual({ ok: false, code: 'SignatureDoesNotMatch', message: "Credential should be scoped to correct service: 'lambda'." });
  });
});
