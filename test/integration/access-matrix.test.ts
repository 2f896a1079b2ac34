import { readFile } from 'node:fs/promises';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes/route-table';
import { LOCAL_AUDIENCE, openLocalIssuer } from '../../local/local-issuer';
import { call, json, type JsonReply } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { getWithJsonBody } from '../support/get-with-body';
import { jobWhen, pixelHeader, pixelRows, readyDataset, type Api } from '../support/jobs/job-harness';

/*
 * Every route, for every kind of caller and every kind of model, with the status each cell must
 * answer, written out by hand rather than derived from the access policy it checks.
 */

const CALLERS = ['anonymous', 'owner', 'reader', 'writer', 'stranger', 'expired', 'wrongIssuer', 'revoked'] as const;
const KINDS = ['private', 'shared', 'public'] as const;
type Caller = (typeof CALLERS)[number];
type Kind = (typeof KINDS)[number];
type Row = readonly [number, number, number];

const all = (status: number): Row => [status, status, status];
const badCredentials = { expired: all(401), wrongIssuer: all(401), revoked: all(401) };

/** [private, shared, public] for each caller. The owner is olive; shared and public models grant rita read and will write. */
const EXPECTED: Record<string, Record<Caller, Row>> = {
  getStatus: { anonymous: all(200), owner: all(200), reader: all(200), writer: all(200), stranger: all(200), expired: all(200), wrongIssuer: all(200), revoked: all(200) },
  getOpenApi: { anonymous: all(200), owner: all(200), reader: all(200), writer: all(200), stranger: all(200), expired: all(200), wrongIssuer: all(200), revoked: all(200) },
  listModels: { anonymous: all(200), owner: all(200), reader: all(200), writer: all(200), stranger: all(200), ...badCredentials },
  createModel: { anonymous: all(401), owner: all(201), reader: all(201), writer: all(201), stranger: all(201), ...badCredentials },
  getModel: { anonymous: [404, 404, 200], owner: all(200), reader: [404, 200, 200], writer: [404, 200, 200], stranger: [404, 404, 200], ...badCredentials },
  updateModel: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 200, 200], stranger: [404, 404, 403], ...badCredentials },
  deleteModel: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 403, 403], stranger: [404, 404, 403], ...badCredentials },
  uploadBundle: { anonymous: all(401), owner: all(201), reader: [404, 403, 403], writer: [404, 201, 201], stranger: [404, 404, 403], ...badCredentials },
  downloadBundle: { anonymous: [404, 404, 200], owner: all(200), reader: [404, 200, 200], writer: [404, 200, 200], stranger: [404, 404, 200], ...badCredentials },
  getAccess: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 200, 200], stranger: [404, 404, 403], ...badCredentials },
  putAccess: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 403, 403], stranger: [404, 404, 403], ...badCredentials },
  createToken: { anonymous: all(401), owner: all(201), reader: all(201), writer: all(201), stranger: all(201), ...badCredentials },
  listTokens: { anonymous: all(401), owner: all(200), reader: all(200), writer: all(200), stranger: all(200), ...badCredentials },
  deleteToken: { anonymous: all(401), owner: all(404), reader: all(404), writer: all(404), stranger: all(404), ...badCredentials },
  getMe: { anonymous: all(401), owner: all(200), reader: all(200), writer: all(200), stranger: all(200), ...badCredentials },
  createUpload: { anonymous: all(401), owner: all(201), reader: [404, 403, 403], writer: [404, 201, 201], stranger: [404, 404, 403], ...badCredentials },
  listUploads: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 200, 200], stranger: [404, 404, 403], ...badCredentials },
  getUpload: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 200, 200], stranger: [404, 404, 403], ...badCredentials },
  // Nothing was uploaded, so those who may complete learn that it is incomplete.
  completeUpload: { anonymous: all(401), owner: all(409), reader: [404, 403, 403], writer: [404, 409, 409], stranger: [404, 404, 403], ...badCredentials },
  abortUpload: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 200, 200], stranger: [404, 404, 403], ...badCredentials },
  getVersion: { anonymous: [404, 404, 200], owner: all(200), reader: [404, 200, 200], writer: [404, 200, 200], stranger: [404, 404, 200], ...badCredentials },
  citeModel: { anonymous: [404, 404, 200], owner: all(200), reader: [404, 200, 200], writer: [404, 200, 200], stranger: [404, 404, 200], ...badCredentials },
  // Each cell deletes a version of a model of its own, so every 200 is a first delete.
  deleteVersion: { anonymous: all(401), owner: all(200), reader: [404, 403, 403], writer: [404, 403, 403], stranger: [404, 404, 403], ...badCredentials },
  // Each cell publishes a version of a model of its own, with the metadata a DOI needs: only owners publish.
  publishVersion: { anonymous: all(401), owner: all(202), reader: [404, 403, 403], writer: [404, 403, 403], stranger: [404, 404, 403], ...badCredentials },
  // The demo bundle is ONNX (it runs built in): those who may deploy learn it is not deployable; only owners deploy.
  deployVersion: { anonymous: all(401), owner: all(409), reader: [404, 403, 403], writer: [404, 403, 403], stranger: [404, 404, 403], ...badCredentials },
  // Nothing is deployed: those who may see the model learn that (404 not_deployed), the others that it does not exist (404).
  getDeployment: { anonymous: all(404), owner: all(404), reader: all(404), writer: all(404), stranger: all(404), ...badCredentials },
  undeployVersion: { anonymous: all(401), owner: all(404), reader: [404, 403, 403], writer: [404, 403, 403], stranger: [404, 404, 403], ...badCredentials },
  predictModel: { anonymous: [404, 404, 200], owner: all(200), reader: [404, 200, 200], writer: [404, 200, 200], stranger: [404, 404, 200], ...badCredentials },
  predictModelWithGet: { anonymous: [404, 404, 200], owner: all(200), reader: [404, 200, 200], writer: [404, 200, 200], stranger: [404, 404, 200], ...badCredentials },
};

/** Datasets have no grants: the shared kind is a private dataset, so rita and will are strangers to it. */
Object.assign(EXPECTED, {
  createDataset: { anonymous: all(401), owner: all(201), reader: all(201), writer: all(201), stranger: all(201), ...badCredentials },
  listDatasets: { anonymous: all(401), owner: all(200), reader: all(200), writer: all(200), stranger: all(200), ...badCredentials },
  getDataset: { anonymous: [404, 404, 200], owner: all(200), reader: [404, 404, 200], writer: [404, 404, 200], stranger: [404, 404, 200], ...badCredentials },
  deleteDataset: { anonymous: all(401), owner: all(200), reader: [404, 404, 403], writer: [404, 404, 403], stranger: [404, 404, 403], ...badCredentials },
  getDatasetUpload: { anonymous: all(401), owner: all(200), reader: [404, 404, 403], writer: [404, 404, 403], stranger: [404, 404, 403], ...badCredentials },
  completeDatasetUpload: { anonymous: all(401), owner: all(409), reader: [404, 404, 403], writer: [404, 404, 403], stranger: [404, 404, 403], ...badCredentials },
  abortDatasetUpload: { anonymous: all(401), owner: all(200), reader: [404, 404, 403], writer: [404, 404, 403], stranger: [404, 404, 403], ...badCredentials },
} satisfies Record<string, Record<Caller, Row>>);

/** Jobs are their creator's alone: each kind's job is olive's, on that kind's model, and has ended. */
Object.assign(EXPECTED, {
  // On a public dataset of olive's: who may predict with the model may start a job.
  createJob: { anonymous: all(401), owner: all(202), reader: [404, 202, 202], writer: [404, 202, 202], stranger: [404, 404, 202], ...badCredentials },
  listJobs: { anonymous: all(401), owner: all(200), reader: all(200), writer: all(200), stranger: all(200), ...badCredentials },
  getJob: { anonymous: all(401), owner: all(200), reader: all(404), writer: all(404), stranger: all(404), ...badCredentials },
  getJobResults: { anonymous: all(401), owner: all(200), reader: all(404), writer: all(404), stranger: all(404), ...badCredentials },
  // The job has ended: its owner learns there is nothing to cancel.
  cancelJob: { anonymous: all(401), owner: all(409), reader: all(404), writer: all(404), stranger: all(404), ...badCredentials },
} satisfies Record<string, Record<Caller, Row>>);

const SETTINGS: Record<Kind, unknown> = {
  private: { visibility: 'private', grants: [] },
  shared: { visibility: 'private', grants: [{ user: 'rita', role: 'read' }, { user: 'will', role: 'write' }] },
  public: { visibility: 'public', grants: [{ user: 'rita', role: 'read' }, { user: 'will', role: 'write' }] },
};

let mlhub: RunningMlhub;
/** The demo classifier, so that predictions run for real. */
let bundle: Buffer;
let digit: Buffer;
const authorization = new Map<Caller, string>();
let counter = 0;
const unique = (prefix: string) => `${prefix}-${(counter += 1)}`;

const api = (caller: Caller | 'olive', method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}) => {
  const credentials = authorization.get(caller === 'olive' ? 'owner' : caller);
  return call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(credentials ? { authorization: credentials } : {}) } });
};

async function makeModel(kind: Kind, name = unique(`mx-${kind}`), metadata: Record<string, unknown> = {}): Promise<string> {
  expect((await api('olive', 'POST', `/model/${name}`, json({ type: 'onnx', ...metadata }))).status).toBe(201);
  expect((await api('olive', 'POST', `/model/${name}/upload`, { body: bundle, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
  expect((await api('olive', 'PUT', `/model/${name}/access`, json(SETTINGS[kind]))).status).toBe(200);
  return name;
}

/** What a DOI needs (functions/publishing/datacite-metadata.ts missingForDoi). */
const DOI_METADATA = { title: 'Access matrix', description: 'A model to publish', license: 'MIT', authors: [{ name: 'Olive Owner' }] };

const models = {} as Record<Kind, string>;
const datasets = {} as Record<Kind, { id: string; upload: string }>;

/** A dataset of olive's, public for the public kind and private otherwise, with its upload not yet sent. */
async function makeDataset(kind: Kind): Promise<{ id: string; upload: string }> {
  const reply = await api('olive', 'POST', '/datasets', json({ filename: 'rows.csv', size: 100, visibility: kind === 'public' ? 'public' : 'private' }));
  expect(reply.status).toBe(201);
  const body = reply.body as { id: string; upload: { upload_id: string } };
  return { id: body.id, upload: body.upload.upload_id };
}
const uploads = {} as Record<Kind, string>;
const jobs = {} as Record<Kind, string>;
let jobDataset = '';

async function startUpload(name: string): Promise<string> {
  const reply = await api('olive', 'POST', `/model/${name}/uploads`, json({ size: 100 }));
  expect(reply.status).toBe(201);
  return (reply.body as { upload_id: string }).upload_id;
}

/** Calls one route the way a client would, against a model of the given kind. */
async function exercise(routeId: string, caller: Caller, kind: Kind): Promise<JsonReply> {
  const name = models[kind];
  const octets = { body: bundle, headers: { 'content-type': 'application/octet-stream' } };
  switch (routeId) {
    case 'getStatus': return api(caller, 'GET', '/status');
    case 'getOpenApi': return api(caller, 'GET', '/openapi.json');
    case 'listModels': return api(caller, 'GET', '/models');
    case 'createModel': return api(caller, 'POST', `/model/${unique('mx-new')}`, json({ type: 'onnx' }));
    case 'getModel': return api(caller, 'GET', `/model/${name}`);
    case 'updateModel': return api(caller, 'PUT', `/model/${name}`, json({ description: `by ${caller}` }));
    case 'deleteModel': return api(caller, 'DELETE', `/model/${await makeModel(kind)}`);
    case 'uploadBundle': return api(caller, 'POST', `/model/${name}/upload`, octets);
    case 'downloadBundle': {
      const response = await fetch(`${mlhub.url}/model/${name}/download`, { headers: authorization.has(caller) ? { authorization: authorization.get(caller) as string } : {} });
      const body = response.headers.get('content-type')?.includes('json') ? await response.json() : { bytes: (await response.arrayBuffer()).byteLength };
      return { status: response.status, headers: response.headers, body };
    }
    case 'getAccess': return api(caller, 'GET', `/model/${name}/access`);
    case 'putAccess': return api(caller, 'PUT', `/model/${name}/access`, json(SETTINGS[kind]));
    case 'createToken': return api(caller, 'POST', '/tokens', json({ name: 'matrix' }));
    case 'listTokens': return api(caller, 'GET', '/tokens');
    case 'deleteToken': return api(caller, 'DELETE', '/tokens/0000000000000000');
    case 'getMe': return api(caller, 'GET', '/me');
    case 'createUpload': return api(caller, 'POST', `/model/${name}/uploads`, json({ size: 100 }));
    case 'listUploads': return api(caller, 'GET', `/model/${name}/uploads`);
    case 'getUpload': return api(caller, 'GET', `/model/${name}/uploads/${uploads[kind]}`);
    case 'completeUpload': return api(caller, 'POST', `/model/${name}/uploads/${await startUpload(name)}/complete`);
    case 'abortUpload': return api(caller, 'DELETE', `/model/${name}/uploads/${await startUpload(name)}`);
    case 'getVersion': return api(caller, 'GET', `/model/${name}/versions/1`);
    case 'citeModel': return api(caller, 'GET', `/model/${name}/cite?version=1&format=csl-json`);
    case 'deleteVersion': return api(caller, 'DELETE', `/model/${await makeModel(kind)}/versions/1`);
    case 'publishVersion': return api(caller, 'POST', `/model/${await makeModel(kind, unique(`mx-${kind}`), DOI_METADATA)}/versions/1/publish`);
    case 'predictModel': return api(caller, 'POST', `/model/${name}/predict`, { body: digit, headers: { 'content-type': 'application/json' } });
    case 'deployVersion': return api(caller, 'POST', `/model/${name}/versions/1/deploy`);
    case 'getDeployment': return api(caller, 'GET', `/model/${name}/versions/1/deploy`);
    case 'undeployVersion': return api(caller, 'DELETE', `/model/${name}/versions/1/deploy`);
    case 'predictModelWithGet': {
      const credentials = authorization.get(caller);
      return getWithJsonBody(mlhub.url, `/model/${name}/predict`, digit, credentials ? { authorization: credentials } : {});
    }
    case 'createJob': return api(caller, 'POST', `/model/${models[kind]}/jobs`, json({ dataset: jobDataset }));
    case 'listJobs': return api(caller, 'GET', '/jobs');
    case 'getJob': return api(caller, 'GET', `/jobs/${jobs[kind]}`);
    case 'getJobResults': return api(caller, 'GET', `/jobs/${jobs[kind]}/results`);
    case 'cancelJob': return api(caller, 'DELETE', `/jobs/${jobs[kind]}`);
    case 'createDataset': return api(caller, 'POST', '/datasets', json({ filename: 'rows.csv', size: 100 }));
    case 'listDatasets': return api(caller, 'GET', '/datasets');
    case 'getDataset': return api(caller, 'GET', `/datasets/${datasets[kind].id}`);
    case 'deleteDataset': return api(caller, 'DELETE', `/datasets/${(await makeDataset(kind)).id}`);
    case 'getDatasetUpload': return api(caller, 'GET', `/datasets/${datasets[kind].id}/uploads/${datasets[kind].upload}`);
    case 'completeDatasetUpload': {
      const dataset = await makeDataset(kind);
      return api(caller, 'POST', `/datasets/${dataset.id}/uploads/${dataset.upload}/complete`);
    }
    case 'abortDatasetUpload': {
      const dataset = await makeDataset(kind);
      return api(caller, 'DELETE', `/datasets/${dataset.id}/uploads/${dataset.upload}`);
    }
    default: throw new Error(`The matrix does not know how to call route ${routeId}`);
  }
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  bundle = await readFile(new URL('../../models/demo/mnist.tar.gz', import.meta.url));
  digit = await readFile(new URL('../../models/demo/images/img3.json', import.meta.url));
  const issuer = await openLocalIssuer(mlhub.dataDir);
  const session = async (user: string) => `Bearer ${await issuer.sign(user)}`;
  authorization.set('owner', await session('olive'));
  authorization.set('reader', await session('rita'));
  authorization.set('writer', await session('will'));
  authorization.set('stranger', await session('sam'));
  authorization.set('expired', `Bearer ${await issuer.sign('olive', { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: 3600 })}`);
  const foreign = await new SignJWT({ token_use: 'id' })
    .setProtectedHeader({ alg: 'ES256' }).setIssuer('https://issuer.elsewhere.example').setAudience(LOCAL_AUDIENCE).setSubject('olive')
    .setIssuedAt().setExpirationTime('1h').sign((await generateKeyPair('ES256')).privateKey);
  authorization.set('wrongIssuer', `Bearer ${foreign}`);
  const created = await api('olive', 'POST', '/tokens', json({ name: 'soon revoked', scope: 'write' }));
  const pat = created.body as { id: string; token: string };
  expect((await api('olive', 'DELETE', `/tokens/${pat.id}`)).status).toBe(200);
  authorization.set('revoked', `Bearer ${pat.token}`);
  for (const kind of KINDS) {
    models[kind] = await makeModel(kind);
    uploads[kind] = await startUpload(models[kind]);
    datasets[kind] = await makeDataset(kind);
  }
  const asOlive: Api = (method, path, init) => api('olive', method, path, init);
  jobDataset = await readyDataset(asOlive, Buffer.from(`${pixelHeader.join(',')}\n${pixelRows(2, 1).map((row) => row.join(',')).join('\n')}\n`), 'matrix.csv', { visibility: 'public' });
  for (const kind of KINDS) {
    const started = await api('olive', 'POST', `/model/${models[kind]}/jobs`, json({ dataset: jobDataset }));
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    jobs[kind] = (await jobWhen(asOlive, (started.body as { id: string }).id)).id;
  }
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('access matrix', () => {
  it('states an expectation for every route in the route table', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(ROUTES.map((route) => route.id).sort());
  });

  it.each(ROUTES.map((route) => [route.id] as const))('%s answers every caller and model as stated', async (routeId) => {
    const mismatches: string[] = [];
    for (const caller of CALLERS) {
      for (const [index, kind] of KINDS.entries()) {
        const reply = await exercise(routeId, caller, kind);
        const expected = EXPECTED[routeId]?.[caller][index];
        if (reply.status !== expected) mismatches.push(`${caller} on ${kind}: expected ${expected}, got ${reply.status} ${JSON.stringify(reply.body).slice(0, 160)}`);
        if (reply.status === 401) expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer realm="mlhub"/);
        if (reply.status >= 400) expect(Object.keys(reply.body as object)).toEqual(['error']);
      }
    }
    expect(mismatches).toEqual([]);
    // Routes such as deleteModel make a fresh model (create, upload with its check, share) for each
    // of the 24 calls: well under 30 s on a quiet machine, but CI's 2 loaded cores once took longer.
  }, 120_000);
});

describe('a withdrawn model', () => {
  /** The routes on a model's name, called as a client would; anonymous callers of a route that needs sign-in get 401 before any model is looked up. */
  const CALLS: Record<string, { call: (caller: Caller, name: string) => Promise<JsonReply>; anonymous: number; signedIn: number }> = {
    getModel: { call: (caller, name) => api(caller, 'GET', `/model/${name}`), anonymous: 410, signedIn: 410 },
    updateModel: { call: (caller, name) => api(caller, 'PUT', `/model/${name}`, json({ description: 'again' })), anonymous: 401, signedIn: 410 },
    deleteModel: { call: (caller, name) => api(caller, 'DELETE', `/model/${name}`), anonymous: 401, signedIn: 410 },
    uploadBundle: { call: (caller, name) => api(caller, 'POST', `/model/${name}/upload`, { body: bundle, headers: { 'content-type': 'application/octet-stream' } }), anonymous: 401, signedIn: 410 },
    downloadBundle: { call: (caller, name) => api(caller, 'GET', `/model/${name}/download?redirect=false`), anonymous: 410, signedIn: 410 },
    getAccess: { call: (caller, name) => api(caller, 'GET', `/model/${name}/access`), anonymous: 401, signedIn: 410 },
    putAccess: { call: (caller, name) => api(caller, 'PUT', `/model/${name}/access`, json({ visibility: 'private' })), anonymous: 401, signedIn: 410 },
    createUpload: { call: (caller, name) => api(caller, 'POST', `/model/${name}/uploads`, json({ size: 100 })), anonymous: 401, signedIn: 410 },
    listUploads: { call: (caller, name) => api(caller, 'GET', `/model/${name}/uploads`), anonymous: 401, signedIn: 410 },
    getVersion: { call: (caller, name) => api(caller, 'GET', `/model/${name}/versions/1`), anonymous: 410, signedIn: 410 },
    // Citing the model answers its tombstone; its withdrawn versions still cite (test/integration/citations.test.ts).
    citeModel: { call: (caller, name) => api(caller, 'GET', `/model/${name}/cite`), anonymous: 410, signedIn: 410 },
    deleteVersion: { call: (caller, name) => api(caller, 'DELETE', `/model/${name}/versions/1`), anonymous: 401, signedIn: 410 },
    publishVersion: { call: (caller, name) => api(caller, 'POST', `/model/${name}/versions/1/publish`), anonymous: 401, signedIn: 410 },
    deployVersion: { call: (caller, name) => api(caller, 'POST', `/model/${name}/versions/1/deploy`), anonymous: 401, signedIn: 410 },
    getDeployment: { call: (caller, name) => api(caller, 'GET', `/model/${name}/versions/1/deploy`), anonymous: 410, signedIn: 410 },
    undeployVersion: { call: (caller, name) => api(caller, 'DELETE', `/model/${name}/versions/1/deploy`), anonymous: 401, signedIn: 410 },
    predictModel: { call: (caller, name) => api(caller, 'POST', `/model/${name}/predict`, { body: digit, headers: { 'content-type': 'application/json' } }), anonymous: 410, signedIn: 410 },
    createJob: { call: (caller, name) => api(caller, 'POST', `/model/${name}/jobs`, json({ dataset: jobDataset })), anonymous: 401, signedIn: 410 },
    // The name stays reserved: creating it again is refused, whoever asks.
    createModel: { call: (caller, name) => api(caller, 'POST', `/model/${name}`, json({ type: 'onnx' })), anonymous: 401, signedIn: 409 },
  };

  it('answers its tombstone (410) to anyone, whatever they ask of it, and keeps its name', async () => {
    const name = await makeModel('shared', unique('mx-withdrawn'), DOI_METADATA);
    expect((await api('olive', 'POST', `/model/${name}/versions/1/publish`)).status).toBe(202);
    for (let tries = 0; ((await api('olive', 'GET', `/model/${name}/versions/1`)).body as { publication: { state: string } }).publication.state !== 'published'; tries += 1) {
      expect(tries).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await api('olive', 'DELETE', `/model/${name}?reason=matrix`)).body).toMatchObject({ withdrawn: true });
    const mismatches: string[] = [];
    for (const [routeId, { call: send, anonymous, signedIn }] of Object.entries(CALLS)) {
      for (const caller of ['anonymous', 'owner', 'reader', 'writer', 'stranger'] as const) {
        const reply = await send(caller, name);
        const expected = caller === 'anonymous' ? anonymous : signedIn;
        if (reply.status !== expected) mismatches.push(`${routeId} by ${caller}: expected ${expected}, got ${reply.status} ${JSON.stringify(reply.body).slice(0, 160)}`);
        if (reply.status === 410) expect((reply.body as { tombstone?: { reason?: unknown } }).tombstone?.reason, `${routeId} by ${caller}`).toBe('matrix');
      }
    }
    expect(mismatches).toEqual([]);
    expect(Object.keys(CALLS).sort()).toEqual(ROUTES.filter((route) => route.path.startsWith('/model/{name}') && !route.path.includes('{id}') && route.id !== 'predictModelWithGet').map((route) => route.id).sort());
  }, 60_000);
});

describe('privacy', () => {
  const volatile = new Set(['date', 'apigw-requestid', 'x-request-id', 'content-length', 'keep-alive', 'connection']);
  const comparable = (reply: JsonReply, name: string) => ({
    status: reply.status,
    body: JSON.stringify(reply.body).replaceAll(name, '<name>'),
    headers: [...reply.headers.entries()].filter(([header]) => !volatile.has(header)).map(([header, value]) => `${header}: ${value.replaceAll(name, '<name>')}`).sort(),
  });

  it("answers outsiders about a private model exactly as about a model that does not exist", async () => {
    const secret = models.private;
    const nothing = 'mx-never-created';
    // Names are global (the seed's /model/<name>), so creating a model whose name is taken must
    // fail even for outsiders; that 409 is checked below to say nothing more than that.
    for (const route of ROUTES.filter((candidate) => candidate.path.includes('{name}') && candidate.id !== 'createModel')) {
      for (const caller of ['anonymous', 'stranger', 'reader'] as const) {
        const body = route.method === 'GET' ? undefined : route.body === 'json' ? JSON.stringify({ type: 'onnx', description: 'x', visibility: 'public' }) : route.body === 'none' ? undefined : bundle;
        const headers = { 'content-type': route.body === 'json' ? 'application/json' : 'application/octet-stream' };
        const init = body === undefined ? {} : { body, headers };
        const aboutSecret = await api(caller, route.method, route.path.replace('{name}', secret), init);
        const aboutNothing = await api(caller, route.method, route.path.replace('{name}', nothing), init);
        expect(comparable(aboutSecret, secret), `${caller} ${route.method} ${route.path}`).toEqual(comparable(aboutNothing, nothing));
      }
    }
  });

  it('tells an outsider creating a taken name only that the name is taken', async () => {
    const reply = await api('stranger', 'POST', `/model/${models.private}`, json({ type: 'onnx' }));
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ error: { code: 'model_exists', message: `The model name '${models.private}' is already taken` } });
  });

  it('never lists a private model to anyone but its owner and grantees', async () => {
    const secret = models.private;
    for (const caller of ['anonymous', 'reader', 'writer', 'stranger'] as const) {
      for (const path of ['/models', '/models?mine=1', '/models?limit=1']) {
        const reply = await api(caller, 'GET', path);
        const everything = JSON.stringify(reply.body) + JSON.stringify([...reply.headers.entries()]);
        expect(everything, `${caller} ${path}`).not.toContain(secret);
      }
    }
  });

  it('lists for each caller what they may see', async () => {
    const names = async (caller: Caller, path = '/models?limit=100') => ((await api(caller, 'GET', path)).body as { model: string }[]).map((model) => model.model);
    expect(await names('anonymous')).toContain(models.public);
    expect(await names('anonymous')).not.toContain(models.shared);
    expect(await names('reader')).toEqual(expect.arrayContaining([models.shared, models.public]));
    expect(await names('stranger')).not.toContain(models.shared);
    expect(await names('owner')).toEqual(expect.arrayContaining([models.private, models.shared, models.public]));
    const mine = await names('reader', '/models?mine=1&limit=100');
    expect(mine).not.toContain(models.shared);
    expect(mine.every((name) => name.startsWith('mx-new'))).toBe(true);
  });

  it('shows the grants in the record to the owner and writers only', async () => {
    expect((await api('owner', 'GET', `/model/${models.shared}`)).body).toHaveProperty('grants');
    expect((await api('writer', 'GET', `/model/${models.shared}`)).body).toHaveProperty('grants');
    expect((await api('reader', 'GET', `/model/${models.shared}`)).body).not.toHaveProperty('grants');
    expect((await api('anonymous', 'GET', `/model/${models.public}`)).body).not.toHaveProperty('grants');
  });
});

describe('personal access tokens', () => {
  it('act for their user within their scope', async () => {
    const read = (await api('olive', 'POST', '/tokens', json({ name: 'reader', scope: 'read' }))).body as { token: string };
    const write = (await api('olive', 'POST', '/tokens', json({ name: 'writer', scope: 'write' }))).body as { token: string };
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    expect((await call(mlhub.url, 'GET', `/model/${models.private}`, { headers: as(read.token) })).status).toBe(200);
    const refused = await call(mlhub.url, 'PUT', `/model/${models.private}`, { body: JSON.stringify({ description: 'x' }), headers: { ...as(read.token), 'content-type': 'application/json' } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'insufficient_scope' } });
    expect((await call(mlhub.url, 'PUT', `/model/${models.private}`, { body: JSON.stringify({ description: 'x' }), headers: { ...as(write.token), 'content-type': 'application/json' } })).status).toBe(200);
    expect((await call(mlhub.url, 'POST', '/tokens', { body: JSON.stringify({ name: 'n' }), headers: { ...as(write.token), 'content-type': 'application/json' } })).body)
      .toMatchObject({ error: { code: 'session_required' } });
  });

  it('are listed without secrets and stop working once revoked', async () => {
    const created = (await api('stranger', 'POST', '/tokens', json({ name: 'laptop', scope: 'read', expires_in_days: 1 }))).body as { id: string; token: string };
    const listed = await api('stranger', 'GET', '/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(created.token);
    expect(listed.body).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.id, name: 'laptop', scope: 'read' })]));
    expect((await call(mlhub.url, 'GET', '/models', { headers: { authorization: `Bearer ${created.token}` } })).status).toBe(200);
    expect((await api('owner', 'DELETE', `/tokens/${created.id}`)).status).toBe(404);
    expect((await api('stranger', 'DELETE', `/tokens/${created.id}`)).status).toBe(200);
    expect((await call(mlhub.url, 'GET', '/models', { headers: { authorization: `Bearer ${created.token}` } })).status).toBe(401);
  });
});
