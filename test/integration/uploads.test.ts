import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';
import { makeTar, sampleBundle } from '../support/tarballs';

const run = promisify(execFile);
const LIMIT = 20 * 1000 * 1000;
let mlhub: RunningMlhub;
let scratch: string;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Upload { upload_id: string; version: number; urls: { part: number; size: number; url: string; headers: Record<string, string> }[]; part_size: number }

async function upload(name: string, bytes: Buffer, declared: { sha256?: string } = {}): Promise<Upload> {
  const started = await api('POST', `/model/${name}/uploads`, json({ size: bytes.length, ...declared }));
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const session = started.body as Upload;
  for (const { part, url, size, headers } of session.urls) {
    const start = (part - 1) * session.part_size;
    expect((await fetch(url, { method: 'PUT', body: bytes.subarray(start, start + size), headers })).status).toBe(200);
  }
  return session;
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_MAX_BUNDLE_BYTES: String(LIMIT) } });
  scratch = await mkdtemp(join(tmpdir(), 'mlhub-uploads-'));
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('uploads over HTTP', () => {
  it('refuses a declared size over the limit with 413 before anything moves', async () => {
    await api('POST', '/model/too-big', json({ type: 'onnx' }));
    expectError(await api('POST', '/model/too-big/uploads', json({ size: LIMIT + 1 })), 413, 'bundle_too_large', new RegExp(`at most ${LIMIT} bytes`));
    expect((await api('GET', '/model/too-big')).body).toMatchObject({ versions: [] });
    expect(await bucketReader(mlhub.s3Endpoint).keys('models/too-big/')).toEqual([]);
  });

  it('finishes a version from the S3 event alone, when the client never calls complete', async () => {
    await api('POST', '/model/by-event', json({ type: 'onnx' }));
    const bundle = await sampleBundle();
    const session = await upload('by-event', bundle);
    const deadline = Date.now() + 10_000;
    let versions: { status: string; sha256: string }[] = [];
    while (Date.now() < deadline) {
      versions = ((await api('GET', '/model/by-event')).body as { versions: { status: string; sha256: string }[] }).versions;
      if (versions[0]?.status !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(versions).toEqual([expect.objectContaining({ status: 'ready', sha256: sha(bundle) })]);
    expect((await api('POST', `/model/by-event/uploads/${session.upload_id}/complete`)).status).toBe(200);
  });

  it('answers complete with 400 and the reason for a bundle whose sha256 differs, and keeps nothing', async () => {
    await api('POST', '/model/wrong-sha', json({ type: 'onnx' }));
    const session = await upload('wrong-sha', await sampleBundle(), { sha256: '0'.repeat(64) });
    expectError(await api('POST', `/model/wrong-sha/uploads/${session.upload_id}/complete`), 400, 'bundle_rejected', /sha256 .* not the 0{64} declared/);
    expect((await api('GET', '/model/wrong-sha')).body).toMatchObject({ latest_version: null, versions: [{ status: 'rejected', reason: expect.stringMatching(/sha256/) }] });
    expect(await bucketReader(mlhub.s3Endpoint).storedKeys('models/wrong-sha/')).toEqual([]);
  });

  it('serves a large bundle by redirect, so curl -L -OJ saves it under its name, and Range works', async () => {
    await api('POST', '/model/large', json({ type: 'pytorch' }));
    const bundle = gzipSync(await makeTar([{ name: 'w/', type: 'directory' }, { name: 'w/model.pt', content: randomBytes(12 * 1000 * 1000) }]), { level: 1 });
    const session = await upload('large', bundle);
    expect((await api('POST', `/model/large/uploads/${session.upload_id}/complete`)).status).toBe(200);

    const redirect = await fetch(`${mlhub.url}/model/large/download`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(/X-Amz-Signature=/);
    await run('curl', ['-sS', '-L', '-OJ', `${mlhub.url}/model/large/download`], { cwd: scratch });
    expect(await readdir(scratch)).toContain('large-v1.tar.gz');
    expect(sha(await readFile(join(scratch, 'large-v1.tar.gz')))).toBe(sha(bundle));

    const { stdout } = await run('curl', ['-sS', '-L', '-r', '100-199', `${mlhub.url}/model/large/download`], { encoding: 'buffer' });
    expect(Buffer.from(stdout).equals(bundle.subarray(100, 200))).toBe(true);
  });

  it('keeps small bundles in the answer, as the seed expects', async () => {
    await api('POST', '/model/small', json({ type: 'onnx' }));
    const bundle = await sampleBundle();
    await upload('small', bundle).then((session) => api('POST', `/model/small/uploads/${session.upload_id}/complete`));
    const response = await fetch(`${mlhub.url}/model/small/download`, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bundle)).toBe(true);
  });

  it('refuses a tampered upload URL with 403, as S3 does', async () => {
    await api('POST', '/model/tamper', json({ type: 'onnx' }));
    const bundle = await sampleBundle();
    const started = (await api('POST', '/model/tamper/uploads', json({ size: bundle.length }))).body as Upload;
    const tampered = started.urls[0]?.url.replace('/tamper/1/', '/tamper/2/') ?? '';
    expect((await fetch(tampered, { method: 'PUT', body: bundle, headers: started.urls[0]?.headers })).status).toBe(403);
  });
});
