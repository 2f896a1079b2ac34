import { openLocalIssuer } from '../../../local/local-issuer';
import { call, json } from '../http';
import type { RunningMlhub } from '../local-runtime';
import type { FuzzAssets } from './fuzz-assets';
import type { FuzzWorld } from './request-arbitraries';

/** The owner of every fixture model; the others are granted read, write, or nothing. */
export const FIXTURE_USERS = { owner: 'olive', reader: 'rita', writer: 'will', stranger: 'sam' } as const;

export interface Callers {
  /** Authorization header values, sessions first, then the owner's personal access tokens. */
  readonly all: readonly string[];
  readonly owner: string;
}

async function succeed<T>(reply: Promise<{ status: number; body: unknown }>, what: string): Promise<T> {
  const { status, body } = await reply;
  if (status >= 300) throw new Error(`Fuzz fixture: ${what} answered ${status} ${JSON.stringify(body)}`);
  return body as T;
}

/** Sessions for each fixture user, as the local issuer signs them, and a read and a write token of the owner's. */
export async function openCallers(mlhub: RunningMlhub): Promise<Callers> {
  const issuer = await openLocalIssuer(mlhub.dataDir);
  const sessions = await Promise.all(Object.values(FIXTURE_USERS).map(async (user) => `Bearer ${await issuer.sign(user)}`));
  const owner = sessions[0] as string;
  const tokens = [];
  for (const scope of ['read', 'write']) {
    const created = await succeed<{ token: string }>(call(mlhub.url, 'POST', '/tokens', { ...json({ name: `fuzz ${scope}`, scope }), headers: { 'content-type': 'application/json', authorization: owner } }), 'creating a token');
    tokens.push(`Bearer ${created.token}`);
  }
  return { all: [...sessions, ...tokens], owner };
}

type Caller = (method: string, path: string, body?: { body: RequestInit['body']; headers: Record<string, string> }) => Promise<{ status: number; body: unknown }>;

const CHECK_WAIT_MS = 10_000;

/** Starts an upload, puts the bytes on its presigned URL, and waits for the check to decide; returns the upload id. */
async function sentUpload(asOwner: Caller, name: string, bytes: Buffer): Promise<string> {
  const started = await succeed<{ upload_id: string; version: number; urls: { url: string; headers?: Record<string, string> }[] }>(
    asOwner('POST', `/model/${name}/uploads`, json({ size: bytes.length })), 'starting an upload');
  const [target] = started.urls;
  if (!target) throw new Error(`Fuzz fixture: the upload on ${name} offered no URL`);
  const put = await fetch(target.url, { method: 'PUT', body: bytes, headers: target.headers ?? {} });
  if (put.status !== 200) throw new Error(`Fuzz fixture: the presigned PUT answered ${put.status} ${await put.text()}`);
  const giveUp = Date.now() + CHECK_WAIT_MS;
  for (;;) {
    const version = await asOwner('GET', `/model/${name}/versions/${started.version}`);
    if ((version.body as { status?: string }).status !== 'pending') return started.upload_id;
    if (Date.now() > giveUp) throw new Error(`Fuzz fixture: version ${started.version} of ${name} is still pending after ${CHECK_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Fixtures {
  readonly world: FuzzWorld;
  /** True while every fixture still exists, versions included: fuzzing a route may have deleted some. */
  intact(): Promise<boolean>;
}

/**
 * Fixtures under their own names: a private model shared with the reader and the writer and a
 * public one, each with a ready version, an open upload, and a token to revoke.
 */
export async function buildFixtures(mlhub: RunningMlhub, callers: Callers, prefix: string, assets: FuzzAssets): Promise<Fixtures> {
  const asOwner: Caller = (method, path, body) =>
    call(mlhub.url, method, path, { ...body, headers: { ...body?.headers, authorization: callers.owner } });
  const settings = {
    shared: { visibility: 'private', grants: [{ user: FIXTURE_USERS.reader, role: 'read' }, { user: FIXTURE_USERS.writer, role: 'write' }] },
    public: { visibility: 'public', grants: [{ user: FIXTURE_USERS.reader, role: 'read' }] },
  };
  const names: string[] = [];
  const ids: string[] = [];
  for (const [kind, access] of Object.entries(settings)) {
    const name = `${prefix}-${kind}`;
    await succeed(asOwner('POST', `/model/${name}`, json({ type: 'onnx', description: `fuzz fixture (${kind})` })), `creating ${name}`);
    await succeed(asOwner('POST', `/model/${name}/upload`, { body: assets.bundle, headers: { 'content-type': 'application/octet-stream' } }), `uploading to ${name}`);
    await succeed(asOwner('PUT', `/model/${name}/access`, json(access)), `sharing ${name}`);
    names.push(name);
  }
  // The first prediction loads the inference runtime; paying for it here keeps it out of the time box.
  await succeed(asOwner('POST', `/model/${names[0]}/predict`, { body: assets.digitJson, headers: { 'content-type': 'application/json' } }), 'predicting');
  const upload = await succeed<{ upload_id: string }>(asOwner('POST', `/model/${names[0]}/uploads`, json({ size: 100 })), 'starting an upload');
  ids.push(upload.upload_id);
  // Uploads whose bytes went up on their presigned URL, one ready and one refused, so that
  // complete, abort and status meet sessions past their first state.
  for (const bytes of [assets.bundle, assets.refused]) ids.push(await sentUpload(asOwner, names[0] as string, bytes));
  const token = await succeed<{ id: string }>(asOwner('POST', '/tokens', json({ name: `fuzz ${prefix}`, scope: 'write' })), 'creating a token');
  ids.push(token.id);
  const found = async (path: string) => {
    const response = await fetch(`${mlhub.url}${path}`, { headers: { authorization: callers.owner } });
    await response.arrayBuffer();
    return response.status === 200;
  };
  return {
    world: { credentials: callers.all, names, ids },
    async intact() {
      // A model whose ready version was deleted still exists, but predicts and downloads nothing.
      const models = await Promise.all(names.map((name) => found(`/model/${name}/download`)));
      const tokens = (await asOwner('GET', '/tokens')).body as { id: string }[];
      return models.every(Boolean) && await found(`/model/${names[0]}/uploads/${upload.upload_id}`) && Array.isArray(tokens) && tokens.some((listed) => listed.id === token.id);
    },
  };
}
