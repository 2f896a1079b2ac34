import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json, type JsonReply } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';
import { makeTarGz, sampleBundle } from '../support/tarballs';

/*
 * "Once a version is ready, nothing can change the bytes MLHub serves, predicts with and reports
 * a sha256 for": tried as the attackers of issue 9 would, over HTTP and with curl on the
 * presigned URLs MLHub hands out. Users: alice owns the models, carol has a write grant, bob
 * takes a name over after alice deletes it.
 */

const run = promisify(execFile);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
type User = 'alice' | 'bob' | 'carol' | 'anonymous';
interface PartUrl { part: number; size: number; url: string; headers: Record<string, string> }
interface Session { upload_id: string; version: number; urls: PartUrl[] }
interface Version { version: number; status: string; sha256: string | null; reason?: string | null }

let mlhub: RunningMlhub;
let scratch: string;
const tokens = new Map<User, string>();
let counter = 0;
const unique = (prefix: string) => `${prefix}-${(counter += 1)}`;

const api = (user: User, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<JsonReply> => {
  const token = tokens.get(user);
  return call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
};

/** PUTs a file to a presigned URL with curl, sending the headers the answer listed; returns the HTTP status. */
async function curlPut(target: PartUrl, bytes: Buffer, options: { withHeaders?: boolean } = {}): Promise<number> {
  const file = join(scratch, `${unique('body')}.bin`);
  await writeFile(file, bytes);
  const headers = options.withHeaders === false ? [] : Object.entries(target.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '--data-binary', `@${file}`, ...headers, target.url]);
  return Number(stdout);
}

async function download(user: User, name: string, version?: number): Promise<{ status: number; bytes: Buffer; sha256: string | null }> {
  const token = tokens.get(user);
  const response = await fetch(`${mlhub.url}/model/${name}/download${version ? `?version=${version}` : ''}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), sha256: response.headers.get('x-mlhub-sha256') };
}

async function createModel(user: User, name: string, grants: { user: string; role: string }[] = [], visibility = 'private'): Promise<void> {
  expect((await api(user, 'POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
  if (grants.length > 0 || visibility !== 'private') expect((await api(user, 'PUT', `/model/${name}/access`, json({ visibility, grants }))).status).toBe(200);
}

async function startUpload(user: User, name: string, bytes: Buffer): Promise<Session> {
  const started = await api(user, 'POST', `/model/${name}/uploads`, json({ size: bytes.length, sha256: sha(bytes) }));
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body as Session;
}

/** The version as its owner sees it, once it has left pending (the storage event checks it). */
async function settled(name: string, version: number, user: User = 'alice'): Promise<JsonReply> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await api(user, 'GET', `/model/${name}/versions/${version}`);
    if (reply.status !== 200 || (reply.body as Version).status !== 'pending' || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required', MLHUB_UPLOAD_SESSION_SECONDS: '3', MLHUB_SWEEP_SECONDS: '1' } });
  scratch = await mkdtemp(join(tmpdir(), 'mlhub-integrity-'));
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const user of ['alice', 'bob', 'carol'] as const) tokens.set(user, await issuer.sign(user));
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('a ready version’s bytes never change', () => {
  it('refuses a second PUT to the URL of a ready version (412), and a PUT without the signed header (403)', async () => {
    const name = unique('overwrite');
    await createModel('alice', name, [{ user: 'carol', role: 'write' }]);
    const good = await sampleBundle();
    const session = await startUpload('carol', name, good);
    const [url] = session.urls;
    expect(url?.headers).toEqual({ 'if-none-match': '*' });
    expect(await curlPut(url as PartUrl, good)).toBe(200);
    expect((await api('carol', 'POST', `/model/${name}/uploads/${session.upload_id}/complete`)).body).toMatchObject({ status: 'ready', sha256: sha(good) });

    // Other bytes of the signed length meet If-None-Match; a hostile tar of another length fails the signature.
    const sameLength = Buffer.from(good).fill(0x41, 64);
    expect(await curlPut(url as PartUrl, sameLength)).toBe(412);
    expect(await curlPut(url as PartUrl, sameLength, { withHeaders: false })).toBe(403);
    expect(await curlPut(url as PartUrl, await makeTarGz([{ name: '../../x', content: 'pwned' }]))).toBe(403);
    const served = await download('alice', name);
    expect(served.status).toBe(200);
    expect(sha(served.bytes)).toBe(sha(good));
    expect(served.sha256).toBe(sha(good));
  });

  it('keeps a URL from a deleted model away from a new model of the same name', async () => {
    const name = unique('reused');
    await createModel('alice', name, [{ user: 'carol', role: 'write' }]);
    const carols = await sampleBundle('kept');
    const kept = await startUpload('carol', name, carols);
    expect((await api('alice', 'DELETE', `/model/${name}`)).status).toBe(200);

    await createModel('bob', name, [], 'public');
    const bobs = await sampleBundle('bob');
    const uploaded = await api('bob', 'POST', `/model/${name}/upload`, { body: bobs, headers: { 'content-type': 'application/octet-stream' } });
    expect(uploaded.status).toBe(201);
    // Numbers go on after the deleted model's: bob's first version is not carol's.
    expect((uploaded.body as Version).version).toBeGreaterThan(kept.version);

    expect(await curlPut(kept.urls[0] as PartUrl, carols)).toBe(412);
    const served = await download('anonymous', name);
    expect(served.status).toBe(200);
    expect(sha(served.bytes)).toBe(sha(bobs));
    const predicted = await api('anonymous', 'GET', `/model/${name}/versions/${(uploaded.body as Version).version}`);
    expect(predicted.body).toMatchObject({ status: 'ready', sha256: sha(bobs) });
  });

  it('rejects an upload finished by a writer whose grant was revoked meanwhile', async () => {
    const name = unique('revoked');
    await createModel('alice', name, [{ user: 'carol', role: 'write' }]);
    const bytes = await sampleBundle('late');
    const session = await startUpload('carol', name, bytes);
    expect((await api('alice', 'PUT', `/model/${name}/access`, json({ visibility: 'private', grants: [] }))).status).toBe(200);
    expect(await curlPut(session.urls[0] as PartUrl, bytes)).toBe(200);
    const version = await settled(name, session.version);
    expect(version.body).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/carol.*may no longer upload/) });
    expectError(await api('carol', 'POST', `/model/${name}/uploads/${session.upload_id}/complete`), 404, 'model_not_found');
    expect((await api('alice', 'GET', `/model/${name}`)).body).toMatchObject({ latest_version: null });
  });

  it('will not abort an upload the check already made ready (409), and the version stays whole', async () => {
    const name = unique('abort-ready');
    await createModel('alice', name);
    const bytes = await sampleBundle();
    const session = await startUpload('alice', name, bytes);
    expect(await curlPut(session.urls[0] as PartUrl, bytes)).toBe(200);
    expect((await settled(name, session.version)).body).toMatchObject({ status: 'ready' });
    expectError(await api('alice', 'DELETE', `/model/${name}/uploads/${session.upload_id}`), 409, 'upload_completed', /is ready/);
    expect((await api('alice', 'GET', `/model/${name}`)).body).toMatchObject({ latest_version: session.version });
    expect(sha((await download('alice', name)).bytes)).toBe(sha(bytes));
  });

  it('lets exactly one of complete and abort win when they race, and ends in one state', async () => {
    const name = unique('race');
    await createModel('alice', name);
    for (let round = 0; round < 6; round += 1) {
      const bytes = await sampleBundle(`r${round}`);
      const session = await startUpload('alice', name, bytes);
      expect(await curlPut(session.urls[0] as PartUrl, bytes)).toBe(200);
      const [complete, abort] = await Promise.all([
        api('alice', 'POST', `/model/${name}/uploads/${session.upload_id}/complete`),
        api('alice', 'DELETE', `/model/${name}/uploads/${session.upload_id}`),
      ]);
      const final = await settled(name, session.version);
      if (abort.status === 200) {
        expect(complete.status).toBe(409);
        expectError(final, 410, 'version_gone', /aborted/);
      } else {
        expect(abort.status).toBe(409);
        expect(complete.status).toBe(200);
        expect(final.body).toMatchObject({ status: 'ready', sha256: sha(bytes) });
      }
    }
  });
});

describe('version numbers are never reused', () => {
  it('goes on numbering after a deleted model, and answers 410 for the deleted versions', async () => {
    const name = unique('mnist');
    await createModel('alice', name);
    for (let i = 1; i <= 3; i += 1) {
      expect((await api('alice', 'POST', `/model/${name}/upload`, { body: await sampleBundle(`v${i}`), headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    }
    expect((await api('alice', 'DELETE', `/model/${name}`)).body).toMatchObject({ versions_deleted: 3 });
    await createModel('alice', name);
    const next = await api('alice', 'POST', `/model/${name}/upload`, { body: await sampleBundle('v4'), headers: { 'content-type': 'application/octet-stream' } });
    expect(next.body).toMatchObject({ version: 4 });
    expectError(await api('alice', 'GET', `/model/${name}/download?version=2`), 410, 'version_gone', /deleted/);
    expectError(await api('alice', 'POST', `/model/${name}/predict?version=2`, json([0])), 410, 'version_gone');
    expect(((await api('alice', 'GET', `/model/${name}`)).body as { versions: Version[] }).versions.map((v) => v.version)).toEqual([4]);
  });

  it('deletes one version: 410 from then on, latest moves back, bytes gone, the number stays spent', async () => {
    const name = unique('one');
    await createModel('alice', name);
    const first = await sampleBundle('first');
    for (const bytes of [first, await sampleBundle('second')]) {
      expect((await api('alice', 'POST', `/model/${name}/upload`, { body: bytes, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    }
    const deleted = await api('alice', 'DELETE', `/model/${name}/versions/2`);
    expect(deleted.body).toMatchObject({ version: 2, status: 'deleted', ended_by: 'alice' });
    expectError(await api('alice', 'DELETE', `/model/${name}/versions/2`), 410, 'version_gone');
    expectError(await api('alice', 'GET', `/model/${name}/versions/2`), 410, 'version_gone', /deleted/);
    expect((await api('alice', 'GET', `/model/${name}`)).body).toMatchObject({ latest_version: 1 });
    expect(sha((await download('alice', name)).bytes)).toBe(sha(first));
    expect(await bucketReader(mlhub.s3Endpoint).storedKeys(`models/${name}/2/`)).toEqual([]);
    expect((await api('alice', 'POST', `/model/${name}/upload`, { body: await sampleBundle('third'), headers: { 'content-type': 'application/octet-stream' } })).body).toMatchObject({ version: 3 });
    expectError(await api('bob', 'DELETE', `/model/${name}/versions/1`), 404, 'model_not_found');
    expectError(await api('alice', 'DELETE', `/model/${name}/versions/0`), 400, 'invalid_version');
    expectError(await api('alice', 'DELETE', `/model/${name}/versions/99`), 404, 'version_not_found');
  });
});

describe('stuck versions end', () => {
  it('aborts an upload session nobody finished once it expires, and its number stays spent', async () => {
    const name = unique('stuck');
    await createModel('alice', name);
    const bytes = await sampleBundle();
    const session = await startUpload('alice', name, bytes);
    const deadline = Date.now() + 20_000;
    let reply = await api('alice', 'GET', `/model/${name}/versions/${session.version}`);
    while (reply.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      reply = await api('alice', 'GET', `/model/${name}/versions/${session.version}`);
    }
    expectError(reply, 410, 'version_gone', /aborted.*expired/);
    expect(await curlPut(session.urls[0] as PartUrl, bytes)).toBe(412);
  });
});

describe('the lifecycle under racing callers', () => {
  it('keeps the process up and ends every version in exactly one state: complete ‖ abort ‖ event ‖ delete, many rounds', async () => {
    const name = unique('hammer');
    await createModel('alice', name);
    const statuses = new Set<number>();
    const outcomes: { version: number; bytes: Buffer }[] = [];
    for (let round = 0; round < 12; round += 1) {
      const bytes = await sampleBundle(`h${round}`);
      const session = await startUpload('alice', name, bytes);
      // The PUT fires the storage event's check; the others race it and one another.
      const replies = await Promise.all([
        curlPut(session.urls[0] as PartUrl, bytes),
        api('alice', 'POST', `/model/${name}/uploads/${session.upload_id}/complete`).then((reply) => reply.status),
        api('alice', 'DELETE', `/model/${name}/uploads/${session.upload_id}`).then((reply) => reply.status),
        new Promise((resolve) => setTimeout(resolve, round * 7)).then(() => api('alice', 'DELETE', `/model/${name}/versions/${session.version}`)).then((reply) => reply.status),
      ]);
      for (const status of replies) statuses.add(status);
      outcomes.push({ version: session.version, bytes });
    }
    expect([...statuses].filter((status) => status >= 500)).toEqual([]);
    expect((await fetch(`${mlhub.url}/status`)).status).toBe(200);
    expect(() => process.kill(mlhub.pid, 0)).not.toThrow();

    // Once the checks have settled, each version is in one final state, and what is served matches it.
    const ready: number[] = [];
    for (const { version, bytes } of outcomes) {
      const reply = await settled(name, version);
      if (reply.status === 410) {
        expect((reply.body as { error: { message: string } }).error.message).toMatch(/was (deleted|aborted)/);
        expect(await bucketReader(mlhub.s3Endpoint).storedKeys(`models/${name}/${version}/`)).toEqual([]);
        continue;
      }
      const state = reply.body as Version;
      expect(['ready', 'rejected']).toContain(state.status);
      if (state.status === 'ready') {
        ready.push(version);
        const served = await download('alice', name, version);
        expect(sha(served.bytes)).toBe(sha(bytes));
      }
    }
    const model = (await api('alice', 'GET', `/model/${name}`)).body as { latest_version: number | null };
    expect(model.latest_version).toBe(ready.length > 0 ? Math.max(...ready) : null);
  });
});

describe('losing a race is never a 500', () => {
  it('answers every one of several completes of one multipart upload, and the version ends ready once', async () => {
    const name = unique('recomplete');
    await createModel('alice', name);
    // Over 8 MiB, so the upload is multipart and complete assembles its parts.
    const bytes = await makeTarGz([{ name: 'big/', type: 'directory' }, { name: 'big/model.onnx', content: randomBytes(9 * 1024 * 1024) }]);
    const started = await api('alice', 'POST', `/model/${name}/uploads`, json({ size: bytes.length }));
    const session = started.body as Session & { part_size: number; mode: string };
    expect(session.mode).toBe('multipart');
    for (const part of session.urls) {
      const start = (part.part - 1) * session.part_size;
      expect((await fetch(part.url, { method: 'PUT', body: bytes.subarray(start, start + part.size), headers: part.headers })).status).toBe(200);
    }
    const replies = await Promise.all([1, 2, 3].map(() => api('alice', 'POST', `/model/${name}/uploads/${session.upload_id}/complete`)));
    expect(replies.map((reply) => reply.status).filter((status) => status >= 500)).toEqual([]);
    expect(replies.some((reply) => reply.status === 200)).toBe(true);
    expect((await settled(name, session.version)).body).toMatchObject({ status: 'ready', sha256: sha(bytes) });
  });

  it('answers direct uploads racing a delete of their model with 404 or 410, never 500, and keeps no bytes', async () => {
    const name = unique('upload-vs-delete');
    const statuses: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      await createModel('alice', name);
      const uploads = [0, 1, 2].map(async (i) => (await api('alice', 'POST', `/model/${name}/upload`, { body: await sampleBundle(`d${round}${i}`), headers: { 'content-type': 'application/octet-stream' } })).status);
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 25));
      const deleted = api('alice', 'DELETE', `/model/${name}`);
      statuses.push(...(await Promise.all(uploads)), (await deleted).status);
    }
    expect(statuses.filter((status) => ![200, 201, 404, 410].includes(status))).toEqual([]);
    expect(await bucketReader(mlhub.s3Endpoint).storedKeys(`models/${name}/`)).toEqual([]);
  });

  it('says nothing of an earlier model’s versions to the next owner of the name but that they are gone', async () => {
    const name = unique('secret');
    await createModel('alice', name);
    expect((await api('alice', 'POST', `/model/${name}/upload`, { body: await sampleBundle('s1'), headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    expect((await api('alice', 'DELETE', `/model/${name}/versions/1`)).status).toBe(200);
    expect((await api('alice', 'DELETE', `/model/${name}`)).status).toBe(200);
    await createModel('bob', name);
    const reply = await api('bob', 'GET', `/model/${name}/versions/1`);
    expectError(reply, 410, 'version_gone', /earlier model of this name/);
    expect(JSON.stringify(reply.body)).not.toMatch(/alice|20\d\d-/);
  });

  it('refuses an upload file name with control characters, slashes or quotes, naming the field', async () => {
    const name = unique('filename');
    await createModel('alice', name);
    for (const filename of ['a\r\nb.tar.gz', 'x"y.tar.gz', "x'y.tar.gz", '../up.tar.gz', 'nul\u0000.tar.gz', 'a\u0085b', 'a\u2028b', 'evil\u202egz.exe', ' ']) {
      expectError(await api('alice', 'POST', `/model/${name}/uploads`, json({ size: 10, filename })), 400, 'invalid_body', /filename/);
    }
  });
});
