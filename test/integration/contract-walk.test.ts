import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractOf } from '../../functions/contracts/route-contracts';
import { ROUTES } from '../../functions/routes/route-table';
import { OPENAPI_FILE } from '../../scripts/openapi';
import { checkAnswer } from '../support/contract-check';
import { getWithJsonBody } from '../support/get-with-body';
import { generateModels, requirePython, type GeneratedModels } from '../support/frameworks/python-worker';
import { json } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { jobWhen, pixelHeader, pixelRows, readyDataset, type JobView } from '../support/jobs/job-harness';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { makeTar } from '../support/tarballs';

/*
 * Walks every route through every success status its contract declares, on a real run, and holds
 * each answer (success or error, JSON or not) to the contract: an undeclared status, a body its
 * schema refuses, or an error code the route does not list fails. The other integration suites
 * hold every answer they read to the contracts too (test/support/http.ts).
 */

/** Statuses this walk cannot bring about on one healthy local runtime, and why. */
const NOT_WALKED: Readonly<Record<string, string>> = {
  'getStatus 503': 'needs a store that does not answer; the local stores run inside the MLHub process',
  'completeUpload 202': 'needs a check that outlasts the 29 s invocation, minus the answer margin',
  'completeDatasetUpload 202': 'needs an inspection that outlasts the 29 s invocation, minus the answer margin',
};

let mlhub: RunningMlhub;
const seen = new Map<string, Set<number>>();
const violations: string[] = [];

/** Sends a request the way a client would, and holds the answer to its route's contract. */
async function send(method: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${mlhub.url}${path}`, { method, redirect: 'manual', ...init });
  const type = response.headers.get('content-type');
  const bytes = Buffer.from(await response.arrayBuffer());
  const body = type?.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) as unknown : bytes;
  record(method, path, response.status, body, type);
  return { status: response.status, body, headers: response.headers };
}

function record(method: string, path: string, status: number, body: unknown, type: string | null): void {
  const check = checkAnswer(method, path, status, body, type);
  violations.push(...check.violations);
  if (check.routeId) seen.set(check.routeId, (seen.get(check.routeId) ?? new Set()).add(status));
}

const jsonInit = (value: unknown, method?: string): RequestInit => ({ ...json(value), ...(method ? { method } : {}) });
const octets = (bytes: Buffer): RequestInit => ({ body: bytes, headers: { 'content-type': 'application/octet-stream' } });
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let models: GeneratedModels;

beforeAll(async () => {
  // Deploying runs the real worker (functions/frameworks/scripts/serve.py) on a real scikit-learn model.
  requirePython(['sklearn', 'joblib']);
  models = await generateModels(['sklearn']);
  mlhub = await startMlhub();
}, 120_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  await models?.remove();
});

describe('the route contracts, walked', () => {
  it('serves the committed OpenAPI document at /openapi.json', async () => {
    const served = await send('GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(await readFile(OPENAPI_FILE, 'utf8')));
  });

  it('reaches every declared success status of every route, and every answer keeps its contract', async () => {
    const demo = await readFile(new URL('../../models/demo/mnist.tar.gz', import.meta.url));
    const digit = await readFile(new URL('../../models/demo/images/img3.json', import.meta.url));
    const png = await readFile(new URL('../../models/demo/images/img4.png', import.meta.url));

    expect((await send('GET', '/status')).status).toBe(200);
    expect((await send('POST', '/model/walk', jsonInit({ type: 'onnx', description: 'contract walk' }))).status).toBe(201);
    expect((await send('POST', '/model/walk/upload', octets(demo))).status).toBe(201);
    expect((await send('GET', '/models')).status).toBe(200);
    expect((await send('GET', '/model/walk')).status).toBe(200);
    expect((await send('PUT', '/model/walk', jsonInit({ description: 'walked' }))).status).toBe(200);
    expect((await send('GET', '/model/walk/download')).status).toBe(200);
    expect((await send('GET', '/model/walk/versions/1')).status).toBe(200);
    expect((await send('GET', '/model/walk/cite')).status).toBe(200);
    expect((await send('POST', '/model/walk/predict', { body: digit, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    const seedGet = await getWithJsonBody(mlhub.url, '/model/walk/predict', digit);
    record('GET', '/model/walk/predict', seedGet.status, seedGet.body, seedGet.headers.get('content-type'));
    expect(seedGet.status).toBe(200);
    const form = new FormData();
    form.append('image', new Blob([png], { type: 'image/png' }), 'img4.png');
    expect((await send('POST', '/model/walk', { body: form })).status).toBe(200);
    expect((await send('GET', '/model/walk/access')).status).toBe(200);
    expect((await send('PUT', '/model/walk/access', jsonInit({ visibility: 'public' }))).status).toBe(200);
    expect((await send('GET', '/me')).status).toBe(200);

    const created = await send('POST', '/tokens', jsonInit({ name: 'walk' }));
    expect(created.status).toBe(201);
    expect((await send('GET', '/tokens')).status).toBe(200);
    expect((await send('DELETE', `/tokens/${(created.body as { id: string }).id}`)).status).toBe(200);

    // A resumable upload large enough that its download is a redirect.
    const large = gzipSync(await makeTar([{ name: 'w/', type: 'directory' }, { name: 'w/model.onnx', content: randomBytes(7 * 1024 * 1024) }]), { level: 1 });
    const session = await send('POST', '/model/walk/uploads', jsonInit({ size: large.length, sha256: sha(large) }));
    expect(session.status).toBe(201);
    const { upload_id: uploadId, urls } = session.body as { upload_id: string; urls: { url: string; headers: Record<string, string> }[] };
    expect((await send('GET', '/model/walk/uploads')).status).toBe(200);
    expect((await send('GET', `/model/walk/uploads/${uploadId}`)).status).toBe(200);
    expect((await fetch(urls[0]?.url ?? '', { method: 'PUT', body: large, headers: urls[0]?.headers })).status).toBe(200);
    expect((await send('POST', `/model/walk/uploads/${uploadId}/complete`)).status).toBe(200);
    expect((await send('GET', '/model/walk/download?version=2')).status).toBe(302);
    const abandoned = await send('POST', '/model/walk/uploads', jsonInit({ size: 10 }));
    expect((await send('DELETE', `/model/walk/uploads/${(abandoned.body as { upload_id: string }).upload_id}`)).status).toBe(200);
    expect((await send('DELETE', '/model/walk/versions/1')).status).toBe(200);
    expect((await send('DELETE', '/model/walk')).status).toBe(200);

    // Deploying: 202 while the endpoint is created, 200 for the deployment once in service, 202 while it is deleted.
    expect((await send('POST', '/model/walk-deploy', jsonInit({ type: 'scikit-learn' }))).status).toBe(201);
    expect((await send('POST', '/model/walk-deploy/upload', octets(await modelBundle({ 'model.joblib': await readFile(join(models.path, 'iris-logreg', 'model.joblib')) })))).status).toBe(201);
    expect((await send('POST', '/model/walk-deploy/versions/1/deploy', jsonInit({ memory_mb: 2048 }))).status).toBe(202);
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const deployment = await send('GET', '/model/walk-deploy/versions/1/deploy');
      if ((deployment.body as { state: string }).state !== 'creating') break;
    }
    expect((await send('POST', '/model/walk-deploy/versions/1/deploy')).status).toBe(200);
    expect((await send('DELETE', '/model/walk-deploy/versions/1/deploy')).status).toBe(202);

    // Publishing with a DOI: 202 while the DOIs are registered, 200 once they are.
    const doiMetadata = { type: 'onnx', description: 'walked to a DOI', title: 'Walk', license: 'MIT', authors: [{ name: 'Walker' }] };
    expect((await send('POST', '/model/walk-doi', jsonInit(doiMetadata))).status).toBe(201);
    expect((await send('POST', '/model/walk-doi/upload', octets(demo))).status).toBe(201);
    expect((await send('POST', '/model/walk-doi/versions/1/publish')).status).toBe(202);
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const version = await send('GET', '/model/walk-doi/versions/1');
      if ((version.body as { publication: { state: string } | null }).publication?.state === 'published') break;
    }
    expect((await send('POST', '/model/walk-doi/versions/1/publish')).status).toBe(200);
    for (const format of ['bibtex', 'ris', 'csl-json', 'cff', 'datacite-json', 'codemeta', 'text', 'html']) {
      expect((await send('GET', `/model/walk-doi/cite?version=1&format=${format}`)).status).toBe(200);
    }
    expect((await send('GET', '/model/walk-doi/cite?format=endnote')).status).toBe(400);

    // Datasets and batch jobs: a small CSV of pixels through the demo classifier.
    expect((await send('POST', '/model/walk-jobs', jsonInit({ type: 'onnx' }))).status).toBe(201);
    expect((await send('POST', '/model/walk-jobs/upload', octets(demo))).status).toBe(201);
    const csv = Buffer.from(`${pixelHeader.join(',')}\n${pixelRows(200, 3).map((row) => row.join(',')).join('\n')}\n`);
    const dataset = await readyDataset(send, csv, 'pixels.csv');
    expect((await send('GET', '/datasets')).status).toBe(200);
    expect((await send('GET', `/datasets/${dataset}`)).status).toBe(200);
    const job = await send('POST', '/model/walk-jobs/jobs', jsonInit({ dataset, output: { format: 'csv' } }));
    expect(job.status).toBe(202);
    const jobId = (job.body as JobView).id;
    expect((await jobWhen(send, jobId)).state).toBe('succeeded');
    expect((await send('GET', '/jobs')).status).toBe(200);
    expect((await send('GET', `/jobs/${jobId}/results`)).status).toBe(200);
    // Cancelled at once: still queued or running, however fast the runner is for 200 rows.
    const cancelled = await send('POST', '/model/walk-jobs/jobs', jsonInit({ dataset }));
    expect((await send('DELETE', `/jobs/${(cancelled.body as JobView).id}`)).status).toBe(200);
    const unfinished = await send('POST', '/datasets', jsonInit({ filename: 'later.csv', size: 100 }));
    expect(unfinished.status).toBe(201);
    const { id: unfinishedId, upload } = unfinished.body as { id: string; upload: { upload_id: string } };
    expect((await send('GET', `/datasets/${unfinishedId}/uploads/${upload.upload_id}`)).status).toBe(200);
    expect((await send('DELETE', `/datasets/${unfinishedId}/uploads/${upload.upload_id}`)).status).toBe(200);
    expect((await send('DELETE', `/datasets/${dataset}`)).status).toBe(200);

    // Errors of several kinds, each held to the route's list of codes.
    expect((await send('GET', '/model/walk')).status).toBe(404);
    expect((await send('POST', '/model/bad%20name', jsonInit({ type: 'onnx' }))).status).toBe(400);
    expect((await send('POST', '/model/walk2', jsonInit({ type: 'onnx', colour: 'red' }))).status).toBe(400);
    expect((await send('GET', '/models?limit=0')).status).toBe(400);
    expect((await send('GET', '/models?verison=2')).status).toBe(400);
    expect((await send('PATCH', '/models')).status).toBe(405);
    expect((await send('GET', '/nowhere')).status).toBe(404);

    expect(violations).toEqual([]);
    const missing = ROUTES.flatMap((route) => Object.keys(contractOf(route.id).responses)
      .map((status) => `${route.id} ${status}`)
      .filter((pair) => !seen.get(pair.split(' ')[0] as string)?.has(Number(pair.split(' ')[1])) && NOT_WALKED[pair] === undefined));
    expect(missing).toEqual([]);
  }, 120_000);
});
