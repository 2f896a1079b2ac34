import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_BINARY_BODY_LIMIT, ROUTES, type RouteSpec } from '../../functions/routes/route-table';
import { call, expectError, json, type JsonReply } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';
import { makeTar, makeTarGz, sampleBundle } from '../support/tarballs';

let mlhub: RunningMlhub;
let bucket: ReturnType<typeof bucketReader>;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const octets = (bytes: Buffer, extra: Record<string, string> = {}) => ({ body: bytes, headers: { 'content-type': 'application/octet-stream', ...extra } });

async function createModel(name: string, type = 'ONNX'): Promise<JsonReply<{ revision: number }>> {
  const reply = await api('POST', `/model/${name}`, json({ model: name, type, meta: {} }));
  expect(reply.status).toBe(201);
  return reply as JsonReply<{ revision: number }>;
}

/** Sends `megabytes` of zeros chunked, with no Content-Length, so only counting can catch it. */
function streamedWithoutLength(path: string, megabytes: number): Promise<JsonReply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, mlhub.url);
    const request = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: new Headers(), body: JSON.parse(text) as unknown }));
    });
    request.on('error', reject);
    for (let i = 0; i < megabytes; i += 1) request.write(Buffer.alloc(1024 * 1024));
    request.end();
  });
}

/** The model has exactly these versions and the bucket exactly these objects: nothing half-written. */
async function expectStored(name: string, versions: number[]): Promise<void> {
  const record = await api('GET', `/model/${name}`);
  expect((record.body as { versions: { version: number }[] }).versions.map((version) => version.version)).toEqual(versions);
  // Each version's bytes sit under a key of its own upload: models/<name>/<n>/<random>/bundle.tar.gz.
  const keys = await bucket.storedKeys(`models/${name}/`);
  expect(keys.every((key) => /^models\/[^/]+\/[1-9][0-9]*\/[0-9a-f]{24}\/bundle\.tar\.gz$/.test(key))).toBe(true);
  expect(keys.map((key) => Number(key.split('/')[2])).sort((a, b) => a - b)).toEqual(versions);
}

beforeAll(async () => {
  mlhub = await startMlhub();
  bucket = bucketReader(mlhub.s3Endpoint);
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('every route in the route table', () => {
  /** A concrete path for a route template, with a model name that is not allowed. */
  const withBadName = (route: RouteSpec) => route.path.replace('{name}', '..%2Fetc');
  const concrete = (route: RouteSpec) => route.path.replace('{name}', 'route-probe');
  const otherMethod = (route: RouteSpec) => (['PATCH', 'PUT', 'POST', 'DELETE', 'GET'] as const).find((method) => !ROUTES.some((r) => r.path === route.path && r.method === method)) ?? 'PATCH';

  it.each(ROUTES.map((route) => [route.id, route] as const))('%s answers malformed requests with a JSON 4xx', async (_id, route) => {
    await api('POST', '/model/route-probe', json({ type: 'onnx' }));
    expectError(await api(otherMethod(route), concrete(route)), 405, 'method_not_allowed');
    if (route.path.includes('{name}')) {
      expectError(await api(route.method, withBadName(route), route.body === 'json' ? json({ type: 'onnx' }) : {}), 400, 'invalid_model_name', /1-100 characters/);
    }
    if (route.body === 'json') {
      expectError(await api(route.method, concrete(route), { body: '{"model": "route-probe",', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
      expectError(await api(route.method, concrete(route), { body: 'x'.repeat(route.bodyLimit + 1), headers: { 'content-type': 'application/json' } }), 413, 'payload_too_large');
    }
    if (route.body === 'bundle') {
      expectError(await api(route.method, concrete(route), octets(Buffer.from('not a tarball'))), 400, 'invalid_bundle');
    }
    if (route.path === '/models') expectError(await api('GET', '/models?limit=zero'), 400, 'invalid_limit');
  });

  it('unknown paths get a JSON 404', async () => {
    expectError(await api('GET', '/no/such/thing'), 404, 'route_not_found');
    expectError(await api('GET', '/model/a/b/c'), 404, 'route_not_found');
  });

  it('a wrong method names the allowed ones', async () => {
    const reply = await api('PATCH', '/model/anything');
    expectError(reply, 405, 'method_not_allowed');
    expect(reply.headers.get('allow')).toBe('POST, GET, HEAD, PUT, DELETE');
  });
});

describe('model records', () => {
  it('create answers 201 with Location and ETag; a second create answers 409', async () => {
    const first = await createModel('rec-one');
    expect(first.headers.get('location')).toBe('/model/rec-one');
    expect(first.headers.get('etag')).toBe('"1"');
    expectError(await api('POST', '/model/rec-one', json({ type: 'onnx' })), 409, 'model_exists');
  });

  it('rejects invalid create bodies with 400 and writes nothing', async () => {
    expectError(await api('POST', '/model/rec-bad', json({ model: 'other', type: 'onnx' })), 400, 'name_mismatch');
    expectError(await api('POST', '/model/rec-bad', json({ type: 'caffe' })), 400, 'invalid_model_type', /TensorFlow, PyTorch, Keras, ScikitLearn, XGBoost, ONNX/);
    expectError(await api('POST', '/model/rec-bad', json({ type: 'onnx', colour: 1 })), 400, 'invalid_body', /unknown field/);
    expectError(await api('POST', '/model/rec-bad', json([1, 2])), 400, 'invalid_body');
    expectError(await api('POST', '/model/rec-bad', { body: '', headers: { 'content-type': 'application/json' } }), 400, 'missing_body');
    expectError(await api('POST', '/model/rec-bad', { body: '{"type":"onnx"}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    expectError(await api('GET', '/model/rec-bad'), 404, 'model_not_found');
  });

  it('normalises common spellings of the type', async () => {
    const reply = await api('POST', '/model/rec-sk', json({ type: 'scikit-learn', meta_data: { n: 1 }, description: 'd', reference: 'r', discipline: 'physics' }));
    expect(reply.body).toMatchObject({ type: 'ScikitLearn', meta: { n: 1 }, description: 'd', reference: 'r', discipline: 'physics' });
  });

  it('PUT honours If-Match and answers a stale one with 412', async () => {
    const { headers } = await createModel('rec-etag');
    const etag = headers.get('etag') ?? '';
    const first = await api('PUT', '/model/rec-etag', { body: JSON.stringify({ meta: { v: 1 } }), headers: { 'content-type': 'application/json', 'if-match': etag } });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    const stale = await api('PUT', '/model/rec-etag', { body: JSON.stringify({ meta: { v: 2 } }), headers: { 'content-type': 'application/json', 'if-match': etag } });
    expectError(stale, 412, 'revision_mismatch');
    expect((await api('GET', '/model/rec-etag')).body).toMatchObject({ meta: { v: 1 }, revision: 2 });
  });

  it('PUT and DELETE of a missing model answer 404', async () => {
    expectError(await api('PUT', '/model/rec-missing', json({ type: 'onnx' })), 404, 'model_not_found');
    expectError(await api('DELETE', '/model/rec-missing'), 404, 'model_not_found');
  });
});

describe('listing', () => {
  it('pages newest first with limit, an opaque cursor and a Link header', async () => {
    for (const name of ['page-1', 'page-2', 'page-3']) await createModel(name);
    const seen: string[] = [];
    let path: string | undefined = '/models?limit=2';
    while (path) {
      const reply = (await api('GET', path)) as JsonReply<{ model: string }[]>;
      expect(reply.status).toBe(200);
      expect(reply.body.length).toBeLessThanOrEqual(2);
      seen.push(...reply.body.map((model) => model.model));
      const link = reply.headers.get('link');
      path = link ? new URL(/<([^>]+)>; rel="next"/.exec(link)?.[1] ?? '').pathname + new URL(/<([^>]+)>/.exec(link)?.[1] ?? '').search : undefined;
    }
    const pages = seen.filter((name) => name.startsWith('page-'));
    expect(pages).toEqual(['page-3', 'page-2', 'page-1']);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('rejects a bad limit or cursor', async () => {
    expectError(await api('GET', '/models?limit=0'), 400, 'invalid_limit');
    expectError(await api('GET', '/models?limit=101'), 400, 'invalid_limit');
    expectError(await api('GET', '/models?cursor=not-ours'), 400, 'invalid_cursor');
  });
});

describe('bundles', () => {
  it('accepts a multipart form with a file field and records its filename', async () => {
    await createModel('up-form');
    const form = new FormData();
    form.append('file', new Blob([await sampleBundle()]), 'weights-v1.tar.gz');
    const reply = await api('POST', '/model/up-form/upload', { body: form });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ version: 1, filename: 'weights-v1.tar.gz', framework: 'ONNX', file_count: 3 });
    const form2 = new FormData();
    form2.append('other', 'x');
    expectError(await api('POST', '/model/up-form/upload', { body: form2 }), 400, 'missing_file');
    await expectStored('up-form', [1]);
  });

  it('refuses bodies that are not gzip tarballs with 400, and stores nothing', async () => {
    await createModel('up-bad');
    expectError(await api('POST', '/model/up-bad/upload', octets(await makeTar([{ name: 'a', content: 'x' }]))), 400, 'invalid_bundle', /uncompressed tar/);
    expectError(await api('POST', '/model/up-bad/upload', octets(Buffer.from('PK\u0003\u0004'))), 400, 'invalid_bundle', /not gzip/);
    expectError(await api('POST', '/model/up-bad/upload', octets(await makeTarGz([{ name: '../../etc/cron.d/x', content: 'x' }]))), 400, 'invalid_bundle', /'\.\.'/);
    expectError(await api('POST', '/model/up-bad/upload', octets(Buffer.alloc(0))), 400, 'empty_bundle');
    expectError(await api('POST', '/model/up-bad/upload', { body: '{}', headers: { 'content-type': 'application/json' } }), 415, 'unsupported_media_type');
    await expectStored('up-bad', []);
  });

  it('refuses a bundle over one Lambda invocation with 413 that explains the way out', async () => {
    await createModel('up-big');
    const tooBig = Buffer.alloc(LAMBDA_BINARY_BODY_LIMIT + 1, 1);
    // Whichever limit a size meets (MLHub's, one Lambda invocation's, API Gateway's), the answer names the way out.
    const wayOut = /Send a bundle this large with `mlhub push`, or with the resumable upload API \(POST \/model\/\{name\}\/uploads\)/;
    for (const [body, limit] of [[tooBig, /one request can carry/], [Buffer.alloc(5 * 1024 * 1024, 1), /one Lambda invocation/], [Buffer.alloc(11 * 1024 * 1024, 1), /API Gateway/]] as const) {
      const reply = await api('POST', '/model/up-big/upload', octets(body));
      expectError(reply, 413, 'payload_too_large', limit);
      expectError(reply, 413, 'payload_too_large', wayOut);
    }
    expectError(await streamedWithoutLength('/model/up-big/upload', 11), 413, 'payload_too_large', wayOut);
    // Prediction input has no such way, and is not sent looking for one.
    expect(JSON.stringify((await api('POST', '/model/up-big/predict', { body: Buffer.alloc(11 * 1024 * 1024, 1), headers: { 'content-type': 'image/png' } })).body)).not.toMatch(/mlhub push/);
    await expectStored('up-big', []);
  });

  it('uploads to a missing model answer 404', async () => {
    expectError(await api('POST', '/model/up-missing/upload', octets(await sampleBundle())), 404, 'model_not_found');
    expect(await bucket.keys('models/up-missing/')).toEqual([]);
  });

  it('downloads the latest or a named version byte-exact with a filename', async () => {
    await createModel('dl');
    const v1 = await sampleBundle('first');
    const v2 = await sampleBundle('second');
    await api('POST', '/model/dl/upload', octets(v1, { 'content-encoding': 'gzip' }));
    await api('POST', '/model/dl/upload', octets(v2, { 'content-encoding': 'gzip' }));
    const latest = await fetch(`${mlhub.url}/model/dl/download`);
    expect(latest.status).toBe(200);
    expect(latest.headers.get('content-disposition')).toBe('attachment; filename="dl-v2.tar.gz"');
    expect(latest.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await latest.arrayBuffer())).toEqual(v2);
    const first = await fetch(`${mlhub.url}/model/dl/download?version=1`);
    expect(Buffer.from(await first.arrayBuffer())).toEqual(v1);
    expectError(await api('GET', '/model/dl/download?version=3'), 404, 'version_not_found');
    expectError(await api('GET', '/model/dl/download?version=one'), 400, 'invalid_version');
    await createModel('dl-empty');
    expectError(await api('GET', '/model/dl-empty/download'), 404, 'no_bundle');
  });

  it('delete removes the record and every bundle object', async () => {
    await createModel('del');
    await api('POST', '/model/del/upload', octets(await sampleBundle()));
    await api('POST', '/model/del/upload', octets(await sampleBundle()));
    expect(await bucket.keys('models/del/')).toHaveLength(2);
    const reply = await api('DELETE', '/model/del');
    expect(reply.body).toEqual({ model: 'del', deleted: true, versions_deleted: 2, objects_deleted: 2, withdrawn: false, versions_withdrawn: 0 });
    expect(await bucket.storedKeys('models/del/')).toEqual([]);
    expectError(await api('GET', '/model/del'), 404, 'model_not_found');
  });
});

describe('status', () => {
  it('reports both stores healthy', async () => {
    const reply = await api('GET', '/status');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'ok', service: 'mlhub', checks: { metadata: 'ok', bundles: 'ok' } });
  });
});
