import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET } from '../../local/local-resources';
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
    const reader = bucketReader(mlhub.s3Endpoint);
    const { client } = reader;
    const [key] = await reader.keys('models/signed/1/');
    expect(key).toBeDefined();
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: key }), { expiresIn: 60 });

    const intact = await fetch(url);
    expect(intact.status).toBe(200);
    expect(Buffer.from(await intact.arrayBuffer())).toEqual(bundle);

    const tampered = await fetch(url.replace('/1/', '/2/'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

    // Without a signature, nobody on the machine lists, reads, overwrites or deletes a bundle.
    for (const [method, path] of [['GET', `/${LOCAL_BUCKET}?list-type=2`], ['GET', `/${LOCAL_BUCKET}/${key}`], ['PUT', `/${LOCAL_BUCKET}/${key}`], ['DELETE', `/${LOCAL_BUCKET}/${key}`]] as const) {
      const anonymous = await fetch(`${mlhub.s3Endpoint}${path}`, { method, ...(method === 'PUT' ? { body: 'evil' } : {}) });
      expect(anonymous.status, `${method} ${path}`).toBe(403);
      expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    }
    expect(Buffer.from(await (await fetch(url)).arrayBuffer())).toEqual(bundle);

    const expiredUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: key }), { expiresIn: 1, signingDate: new Date(Date.now() - 10_000) });
    const expired = await fetch(expiredUrl);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });
});

describe('a restart on the same data folder', () => {
  it('keeps the presigned URLs handed out before it working: the local S3 listens on its last port', async () => {
    const first = await start();
    await call(first.url, 'POST', '/model/resumed', json({ type: 'onnx' }));
    const bundle = await sampleBundle();
    const started = await call(first.url, 'POST', '/model/resumed/uploads', json({ size: bundle.length }));
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const session = started.body as { upload_id: string; urls: { url: string; headers: Record<string, string> }[] };
    expect(session.urls).toHaveLength(1);
    expect(await first.stop()).toBe(0);

    const second = await start({ dataDir: first.dataDir });
    expect(second.s3Endpoint).toBe(first.s3Endpoint);
    const [{ url, headers }] = session.urls as [{ url: string; headers: Record<string, string> }];
    const put = await fetch(url, { method: 'PUT', body: bundle, headers });
    expect(put.status, await put.text()).toBe(200);
    const completed = await call(second.url, 'POST', `/model/resumed/uploads/${session.upload_id}/complete`);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
  });

  it('falls back to a free port when the last one is taken', async () => {
    const first = await start();
    expect(await first.stop()).toBe(0);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(Number(new URL(first.s3Endpoint).port), '127.0.0.1', resolve));
    try {
      const second = await start({ dataDir: first.dataDir });
      expect(second.s3Endpoint).not.toBe(first.s3Endpoint);
      expect((await call(second.url, 'GET', '/status')).status).toBe(200);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('clears the writes a killed process left staged in the local S3', async () => {
    const first = await start();
    const staging = join(first.dataDir, 's3', LOCAL_BUCKET, '._S3rver_staging');
    await mkdir(staging, { recursive: true });
    await writeFile(join(staging, 'left-by-kill-9'), randomBytes(1024));
    process.kill(first.pid, 'SIGKILL');
    await first.stop();
    await start({ dataDir: first.dataDir });
    expect(await readdir(staging).catch(() => [])).toEqual([]);
  });
});

describe('one data folder, one MLHub', () => {
  it('records its address in runtime.json while it runs, and removes it on a clean stop', async () => {
    const mlhub = await start();
    const record = JSON.parse(await readFile(join(mlhub.dataDir, 'runtime.json'), 'utf8')) as { pid: number; url: string; s3Endpoint: string };
    expect(record).toMatchObject({ pid: mlhub.pid, url: mlhub.url, s3Endpoint: mlhub.s3Endpoint });
    expect(await mlhub.stop()).toBe(0);
    await expect(readFile(join(mlhub.dataDir, 'runtime.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a second start on a folder in use says so in one line, and leaves the first one serving', async () => {
    const first = await start();
    const failure = await startMlhub({ dataDir: first.dataDir }).then(() => undefined, (error: Error) => error.message);
    const lines = (failure ?? '').replace(/^MLHub did not start:\n/, '').trim().split('\n');
    expect(lines).toEqual([`MLHub is already running on this data folder (${first.dataDir}) at ${first.url}, pid ${first.pid}; stop it or set MLHUB_DATA_DIR to another folder`]);
    expect((await call(first.url, 'GET', '/status')).status).toBe(200);
    expect(JSON.parse(await readFile(join(first.dataDir, 'runtime.json'), 'utf8'))).toMatchObject({ pid: first.pid });
  });

  it('a runtime.json left by kill -9 does not block the next start', async () => {
    const first = await start();
    process.kill(first.pid, 'SIGKILL');
    expect(await first.stop()).toBeNull();
    expect(JSON.parse(await readFile(join(first.dataDir, 'runtime.json'), 'utf8'))).toMatchObject({ pid: first.pid });
    const second = await start({ dataDir: first.dataDir });
    expect((await call(second.url, 'GET', '/status')).status).toBe(200);
    expect(JSON.parse(await readFile(join(second.dataDir, 'runtime.json'), 'utf8'))).toMatchObject({ pid: second.pid, url: second.url });
  });
});

describe('no request takes the process down', () => {
  /** Sends a request by hand and drops the connection at `after` bytes sent (upload) or received (download). */
  function dropMidway(url: string, method: string, headers: Record<string, string | number>, options: { send?: Buffer; receive?: boolean }): Promise<void> {
    return new Promise((resolve) => {
      const outgoing = httpRequest(url, { method, headers });
      outgoing.on('error', () => resolve());
      outgoing.on('close', () => resolve());
      if (options.receive) {
        outgoing.on('response', (response) => response.once('data', () => outgoing.destroy()));
        outgoing.end();
      } else {
        outgoing.write(options.send ?? Buffer.alloc(0), () => setTimeout(() => outgoing.destroy(), 50));
      }
    });
  }

  async function expectServing(mlhub: RunningMlhub): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(() => process.kill(mlhub.pid, 0)).not.toThrow();
    expect((await call(mlhub.url, 'GET', '/status')).status).toBe(200);
    expect(mlhub.output()).not.toMatch(/uncaught|BUG:|Error:.*\n\s+at /);
  }

  it('objects deleted while GETs stream them, complete racing abort, clients leaving mid-upload and mid-download', async () => {
    const mlhub = await start();
    const { client } = bucketReader(mlhub.s3Endpoint);
    const body = randomBytes(6 * 1024 * 1024);

    for (let round = 0; round < 5; round += 1) {
      await client.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'faults/doomed', Body: body }));
      await Promise.allSettled([
        client.send(new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'faults/doomed' })).then((answer) => answer.Body!.transformToByteArray()),
        client.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'faults/doomed' })),
      ]);

      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: LOCAL_BUCKET, Key: `faults/mp-${round}` }));
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: LOCAL_BUCKET, Key: `faults/mp-${round}`, UploadId, PartNumber: 1, Body: body }));
      const outcomes = await Promise.allSettled([
        client.send(new CompleteMultipartUploadCommand({ Bucket: LOCAL_BUCKET, Key: `faults/mp-${round}`, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } })),
        client.send(new AbortMultipartUploadCommand({ Bucket: LOCAL_BUCKET, Key: `faults/mp-${round}`, UploadId })),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    }

    await client.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'faults/big', Body: body }));
    const download = await getSignedUrl(client, new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'faults/big' }), { expiresIn: 60 });
    const upload = await getSignedUrl(client, new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'faults/half' }), { expiresIn: 60 });
    for (let round = 0; round < 5; round += 1) {
      await dropMidway(download, 'GET', {}, { receive: true });
      await dropMidway(upload, 'PUT', { 'content-length': body.length }, { send: body.subarray(0, 1024 * 1024) });
      await dropMidway(`${mlhub.url}/model/faults/upload`, 'POST', { 'content-type': 'application/octet-stream', 'content-length': body.length }, { send: body.subarray(0, 1024 * 1024) });
      await dropMidway(`${mlhub.url}/model/faults/download`, 'GET', {}, { receive: true });
    }
    // A PUT cut short leaves nothing behind: writes land whole or not at all.
    expect(await bucketReader(mlhub.s3Endpoint).keys('faults/half')).toEqual([]);
    await expectServing(mlhub);
    // ...and no bytes of it stay staged, where no listing shows them but the disk fills.
    expect(await readdir(join(mlhub.dataDir, 's3', LOCAL_BUCKET, '._S3rver_staging')).catch(() => [])).toEqual([]);
  });
});
