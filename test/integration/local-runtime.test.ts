import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET } from '../../local/runtime';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';
import { sampleBundle } from '../support/tarballs';

const started: RunningMlhub[] = [];
async function start(...args: Parameters<typeof startMlhub>): Promise<RunningMlhub> {
  const mlhub = await startMlhub(...args);
  started.push(mlhub);
  return mlhub;
}

afterAll(async () => {
  for (const mlhub of started) await mlhub.stop();
  for (const dir of new Set(started.map((mlhub) => mlhub.dataDir))) await removeDataDir(dir);
});

describe('npm start', () => {
  it('keeps models and bundles across a restart, and stops cleanly on SIGTERM', async () => {
    const first = await start();
    expect(first.output()).toContain(`data      ${first.dataDir}`);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await call(first.url, 'POST', '/model/persisted', json({ type: 'torch', meta: { epochs: 3 } }));
    const bundle = await sampleBundle();
    await call(first.url, 'POST', '/model/persisted/upload', { body: bundle, headers: { 'content-type': 'application/octet-stream' } });
    expect(await first.stop()).toBe(0);

    const second = await start({ dataDir: first.dataDir });
    expect((await call(second.url, 'GET', '/model/persisted')).body).toMatchObject({ type: 'PyTorch', meta: { epochs: 3 }, latest_version: 1 });
    const download = Buffer.from(await (await fetch(`${second.url}/model/persisted/download`)).arrayBuffer());
    expect(createHash('sha256').update(download).digest('hex')).toBe(createHash('sha256').update(bundle).digest('hex'));
    expect(await second.stop()).toBe(0);
  });

  it('listens where HOST says', async () => {
    const mlhub = await start({ env: { HOST: '127.0.0.2' } });
    expect(mlhub.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect((await call(mlhub.url, 'GET', '/status')).status).toBe(200);
  });

  it('explains a port that is taken', async () => {
    const holder = await start();
    await expect(start({ env: { PORT: String(holder.port) } })).rejects.toThrow(new RegExp(`Port ${holder.port} on 127.0.0.1 is already in use; set PORT`));
  });
});

describe('the embedded S3 server', () => {
  it('honours intact presigned URLs and refuses tampered or expired ones, as S3 does', async () => {
    const mlhub = await start();
    await call(mlhub.url, 'POST', '/model/signed', json({ type: 'onnx' }));
    const bundle = await sampleBundle();
    await call(mlhub.url, 'POST', '/model/signed/upload', { body: bundle, headers: { 'content-type': 'application/octet-stream' } });
    const { client } = bucketReader(mlhub.s3Endpoint);
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'models/signed/1/bundle.tar.gz' }), { expiresIn: 60 });

    const intact = await fetch(url);
    expect(intact.status).toBe(200);
    expect(Buffer.from(await intact.arrayBuffer())).toEqual(bundle);

    const tampered = await fetch(url.replace('/1/bundle', '/2/bundle'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

    const expiredUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'models/signed/1/bundle.tar.gz' }), { expiresIn: 1, signingDate: new Date(Date.now() - 10_000) });
    const expired = await fetch(expiredUrl);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });
});
