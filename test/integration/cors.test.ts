import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_BINARY_BODY_LIMIT } from '../../functions/routes/route-table';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { makeTar, sampleBundle } from '../support/tarballs';

/** A web app's origin in development, and one in production; the API answers CORS for both. */
const APP = 'http://localhost:5173';
const PROD_APP = 'https://models.example.org';
const STRANGER = 'https://evil.example.com';
const PRESIGN_SECONDS = 600;

let mlhub: RunningMlhub;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const sha = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What a browser sends before a cross-origin request that is not simple (Fetch standard, "CORS-preflight request"). */
const preflight = (url: string, origin: string, method: string, headers: readonly string[] = []) => fetch(url, {
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, ...(headers.length > 0 ? { 'access-control-request-headers': headers.join(',') } : {}) },
});

const listOf = (value: string | null) => (value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);

interface Upload { upload_id: string; urls: { part: number; size: number; url: string; headers: Record<string, string> }[] }

/**
 * Uploads a bundle the way browser code would: the session from the API, then the bytes PUT to the
 * presigned URL from the page's origin, after S3's preflight allowed it.
 */
async function uploadFromBrowser(name: string, bytes: Buffer): Promise<void> {
  await api('POST', `/model/${name}`, json({ type: 'pytorch' }));
  const started = await api('POST', `/model/${name}/uploads`, { ...json({ size: bytes.length }), headers: { 'content-type': 'application/json', origin: APP } });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  expect(started.headers.get('access-control-allow-origin')).toBe(APP);
  const [only, ...more] = (started.body as Upload).urls;
  expect(more).toEqual([]);
  const sent = { ...only?.headers, 'content-type': 'application/gzip' };
  const allowed = await preflight(only?.url as string, APP, 'PUT', Object.keys(sent));
  expect(allowed.status).toBe(200);
  expect(allowed.headers.get('access-control-allow-origin')).not.toBeNull();
  expect(listOf(allowed.headers.get('access-control-allow-headers')).sort()).toEqual(Object.keys(sent).sort());
  const put = await fetch(only?.url as string, { method: 'PUT', body: bytes, headers: { ...sent, origin: APP } });
  expect(put.status).toBe(200);
  expect(put.headers.get('access-control-allow-origin')).toBe(APP);
  expect(listOf(put.headers.get('access-control-expose-headers'))).toContain('etag');
  const completed = await api('POST', `/model/${name}/uploads/${(started.body as Upload).upload_id}/complete`);
  expect(completed.status, JSON.stringify(completed.body)).toBe(200);
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_CORS_ORIGINS: `${APP}, ${PROD_APP}`, MLHUB_PRESIGN_SECONDS: String(PRESIGN_SECONDS) } });
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('CORS on the API', () => {
  it('answers a preflight for a PUT with authorization and content-type with 204 and the configured headers', async () => {
    const response = await preflight(`${mlhub.url}/model/some-model`, APP, 'PUT', ['authorization', 'content-type']);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(response.headers.get('access-control-allow-methods'))).toEqual(['post', 'get', 'head', 'put', 'delete']);
    expect(listOf(response.headers.get('access-control-allow-headers'))).toEqual(['authorization', 'content-type', 'if-match']);
    expect(response.headers.get('access-control-max-age')).toBe('3600');
    expect(listOf(response.headers.get('vary'))).toContain('origin');
    // No credentials mode: tokens travel in Authorization, never in cookies.
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers preflights on every kind of path, for each configured origin, naming the methods of that path', async () => {
    const uploads = await preflight(`${mlhub.url}/model/some-model/uploads`, PROD_APP, 'POST', ['authorization', 'content-type']);
    expect(uploads.status).toBe(204);
    expect(uploads.headers.get('access-control-allow-origin')).toBe(PROD_APP);
    expect(listOf(uploads.headers.get('access-control-allow-methods'))).toEqual(['post', 'get', 'head']);
    const token = await preflight(`${mlhub.url}/tokens/abc`, APP, 'DELETE', ['authorization']);
    expect(token.status).toBe(204);
    expect(listOf(token.headers.get('access-control-allow-methods'))).toEqual(['delete']);
  });

  it('gives a disallowed origin no allow-origin, on a preflight or an answer, and an unknown path no preflight at all', async () => {
    const refused = await preflight(`${mlhub.url}/model/some-model`, STRANGER, 'PUT', ['authorization', 'content-type']);
    expect(refused.status).toBe(204);
    expect([...refused.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const answer = await api('GET', '/models', { headers: { origin: STRANGER } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(listOf(answer.headers.get('vary'))).toContain('origin');
    // An origin differs from a configured one by its scheme, or by a port, is another origin.
    expect((await preflight(`${mlhub.url}/models`, 'https://localhost:5173', 'GET', ['authorization'])).headers.get('access-control-allow-origin')).toBeNull();
    const unknown = await fetch(`${mlhub.url}/no/such/path`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('lets the allowed origin read answers and their headers, errors included', async () => {
    const created = await api('POST', '/model/cors-read', { ...json({ type: 'onnx' }), headers: { 'content-type': 'application/json', origin: APP } });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(created.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['etag', 'location', 'x-request-id']));
    const missing = await api('GET', '/model/no-such-model', { headers: { origin: PROD_APP } });
    expectError(missing, 404, 'model_not_found');
    expect(missing.headers.get('access-control-allow-origin')).toBe(PROD_APP);
    const wrongMethod = await api('PATCH', '/models', { headers: { origin: APP } });
    expectError(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(wrongMethod.headers.get('access-control-expose-headers'))).toContain('allow');
  });

  it('puts the CORS headers on every answer, whichever layer makes it: the gateway\'s 413, a body parser\'s 400, the fallback\'s 404 to an OPTIONS', async () => {
    const readable = (answer: { headers: Headers }, origin: string) => {
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(listOf(answer.headers.get('vary'))).toContain('origin');
      expect(listOf(answer.headers.get('access-control-expose-headers'))).toContain('x-request-id');
    };
    await api('POST', '/model/cors-limits', json({ type: 'pytorch' }));
    // Past one Lambda invocation's payload once base64-encoded: the local gateway answers, not a handler.
    const tooLarge = await api('POST', '/model/cors-limits/upload', { body: randomBytes(5 * 1024 * 1024), headers: { 'content-type': 'application/gzip', origin: PROD_APP } });
    expectError(tooLarge, 413, 'payload_too_large');
    readable(tooLarge, PROD_APP);
    const badJson = await api('POST', '/model/cors-bad-json', { body: '{"type":', headers: { 'content-type': 'application/json', origin: APP } });
    expectError(badJson, 400, 'invalid_json');
    readable(badJson, APP);
    const badForm = await api('POST', '/model/cors-limits/upload', { body: 'not a form', headers: { 'content-type': 'multipart/form-data; boundary=x', origin: APP } });
    expectError(badForm, 400, 'invalid_multipart');
    readable(badForm, APP);
    const unknown = await fetch(`${mlhub.url}/nope`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json() as { error: { code: string } }).error.code).toBe('route_not_found');
    readable(unknown, APP);
    expect(unknown.headers.get('access-control-allow-methods')).toBeNull();
    const stranger = await fetch(`${mlhub.url}/nope`, { method: 'OPTIONS', headers: { origin: STRANGER, 'access-control-request-method': 'GET' } });
    expect(stranger.status).toBe(404);
    expect(listOf(stranger.headers.get('vary'))).toContain('origin');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    // The runtime's own documents too.
    readable(await fetch(`${mlhub.url}/.well-known/jwks.json`, { headers: { origin: APP } }), APP);
  });

  it('lets browser code read why a token was refused', async () => {
    const refused = await api('GET', '/models', { headers: { origin: APP, authorization: 'Bearer not-a-token' } });
    expectError(refused, 401, 'invalid_token');
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(refused.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(refused.headers.get('access-control-expose-headers'))).toContain('www-authenticate');
  });

  it('answers headers too large for the local gateway with a JSON 431', async () => {
    const response = await fetch(`${mlhub.url}/models`, { headers: { origin: APP, 'x-padding': 'x'.repeat(17 * 1024) } });
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ error: { code: 'request_headers_too_large', message: expect.stringMatching(/^The request's headers exceed \d+ bytes/) } });
  });

  it('answers a plain OPTIONS with the methods of the path', async () => {
    const response = await fetch(`${mlhub.url}/model/some-model/download`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(listOf(response.headers.get('allow'))).toEqual(['get', 'head', 'options']);
  });
});

describe('browser downloads', () => {
  it(`downloads a bundle over ${(LAMBDA_BINARY_BODY_LIMIT / 1024 ** 2).toFixed(2)} MiB through the JSON form, then from S3 with the page's origin`, async () => {
    const bundle = gzipSync(await makeTar([{ name: 'w/', type: 'directory' }, { name: 'w/model.pt', content: randomBytes(6 * 1000 * 1000) }]), { level: 1 });
    expect(bundle.length).toBeGreaterThan(LAMBDA_BINARY_BODY_LIMIT);
    await uploadFromBrowser('cors-large', bundle);

    const before = Date.now();
    const link = await api('GET', '/model/cors-large/download', { headers: { accept: 'application/json', origin: APP } });
    expect(link.status).toBe(200);
    expect(link.headers.get('content-type')).toMatch(/^application\/json/);
    expect(link.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(link.headers.get('vary'))).toEqual(expect.arrayContaining(['accept', 'origin']));
    expect(link.headers.get('cache-control')).toBe('no-store');
    const { url, expires, ...rest } = link.body as { url: string; expires: string; model: string; version: number; size: number };
    expect(rest).toEqual({ model: 'cors-large', version: 1, size: bundle.length });
    expect(expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Never later than the URL's real end: signed after `before`, it lives PRESIGN_SECONDS.
    expect(Date.parse(expires)).toBeGreaterThan(before + (PRESIGN_SECONDS - 5) * 1000);
    expect(Date.parse(expires)).toBeLessThanOrEqual(Date.now() + PRESIGN_SECONDS * 1000);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe(String(PRESIGN_SECONDS));

    const fetched = await fetch(url, { headers: { origin: APP } });
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(fetched.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['etag', 'content-disposition']));
    expect(fetched.headers.get('content-disposition')).toBe('attachment; filename="cors-large-v1.tar.gz"');
    expect(sha(new Uint8Array(await fetched.arrayBuffer()))).toBe(sha(bundle));

    // A ranged read, as a resumable browser download makes it.
    const ranged = await preflight(url, APP, 'GET', ['range']);
    expect(ranged.status).toBe(200);
    const part = await fetch(url, { headers: { origin: APP, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bundle.subarray(100, 200))).toBe(true);

    // Why the JSON form: the 302 a browser would follow arrives at S3 with Origin: null, which is refused.
    expect((await fetch(url, { headers: { origin: 'null' } })).headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(url, { headers: { origin: STRANGER } })).headers.get('access-control-allow-origin')).toBeNull();
    const redirect = await fetch(`${mlhub.url}/model/cors-large/download`, { redirect: 'manual', headers: { origin: APP } });
    expect(redirect.status).toBe(302);
    expect(listOf(redirect.headers.get('vary'))).toContain('accept');
  });

  it('gives the JSON form for ?redirect=false and for a small bundle too, and the bytes to callers that prefer them', async () => {
    const bundle = await sampleBundle();
    await uploadFromBrowser('cors-small', bundle);
    const link = await api('GET', '/model/cors-small/download?version=1&redirect=false');
    expect(link.status).toBe(200);
    const { url } = link.body as { url: string };
    expect(sha(new Uint8Array(await (await fetch(url)).arrayBuffer()))).toBe(sha(bundle));
    // JSON named beside */* (as axios asks) is a request for JSON; */* alone, or gzip weighed higher, is not.
    expect((await api('GET', '/model/cors-small/download', { headers: { accept: 'application/json, text/plain, */*' } })).body).toMatchObject({ url: expect.any(String) });
    for (const accept of ['*/*', 'application/gzip, application/json;q=0.5']) {
      const bytes = await fetch(`${mlhub.url}/model/cors-small/download`, { headers: { accept } });
      expect(bytes.headers.get('content-type'), accept).toBe('application/gzip');
      expect(sha(new Uint8Array(await bytes.arrayBuffer()))).toBe(sha(bundle));
    }
    expectError(await api('GET', '/model/cors-small/download?redirect=maybe'), 400, 'invalid_redirect');
  });

  it('gives JSON on a tie with gzip, weighs only valid q values, takes ?redirect= as true or false only, and gives the JSON form no ETag', async () => {
    const bundle = await sampleBundle();
    await uploadFromBrowser('cors-negotiate', bundle);
    const download = (query: string, accept?: string) => api('GET', `/model/cors-negotiate/download${query}`, accept === undefined ? {} : { headers: { accept } });
    for (const accept of ['application/json, application/gzip', 'application/gzip, application/json', 'application/gzip;q=abc, application/json;q=0.2', 'application/gzip;q=1.5, application/json;q=0.2']) {
      const link = await download('', accept);
      expect(link.status, accept).toBe(200);
      expect(link.headers.get('content-type'), accept).toMatch(/^application\/json/);
    }
    for (const accept of ['application/json;q=abc, application/gzip;q=0.5', 'application/json;q=0.1234, application/gzip;q=0.5']) {
      const bytes = await fetch(`${mlhub.url}/model/cors-negotiate/download`, { headers: { accept } });
      expect(bytes.headers.get('content-type'), accept).toBe('application/gzip');
      await bytes.arrayBuffer();
    }
    for (const query of ['?redirect=', '?redirect', '?redirect=1', '?redirect=no']) {
      const refused = await download(query);
      expectError(refused, 400, 'invalid_redirect');
      expect((refused.body as { error: { message: string } }).error.message, query).toMatch(/redirect.*true or false/);
    }
    expect((await download('?redirect=FALSE')).body).toMatchObject({ url: expect.any(String) });
    const bytes = await fetch(`${mlhub.url}/model/cors-negotiate/download?redirect=true`);
    expect(bytes.headers.get('content-type')).toBe('application/gzip');
    expect(bytes.headers.get('etag')).toBe(`"${sha(bundle)}"`);
    expect(listOf(bytes.headers.get('vary'))).toContain('accept');
    await bytes.arrayBuffer();
    const link = await download('', 'application/json');
    expect(link.headers.get('etag')).toBeNull();
    expect(link.headers.get('x-mlhub-sha256')).toBe(sha(bundle));
    expect(listOf(link.headers.get('vary'))).toContain('accept');
  });
});

describe('without origins', () => {
  it('answers no CORS at all, and drops the bucket rule a start with origins left in the data folder', async () => {
    const first = await startMlhub({ env: { MLHUB_CORS_ORIGINS: APP } });
    const s3Preflight = () => preflight(`${first.s3Endpoint}/mlhub-bundles/models/x/bundle.tar.gz`, APP, 'GET');
    try {
      expect((await s3Preflight()).status).toBe(200);
    } finally {
      await first.stop();
    }
    const again = await startMlhub({ dataDir: first.dataDir, env: { MLHUB_CORS_ORIGINS: '' } });
    try {
      expect(again.s3Endpoint).toBe(first.s3Endpoint);
      const refused = await s3Preflight();
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const api = await preflight(`${again.url}/model/some-model`, APP, 'PUT', ['authorization']);
      expect(api.status).toBe(204);
      expect([...api.headers.keys()].filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
      const answer = await fetch(`${again.url}/models`, { headers: { origin: APP } });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(answer.headers.get('vary')).toBeNull();
    } finally {
      await again.stop();
      await removeDataDir(first.dataDir);
    }
  });
});
