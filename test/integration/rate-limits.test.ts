import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL } from '../../local/demo-model';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json, type JsonReply } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { runCli } from '../support/run-cli';

/*
 * A child MLHub with tight limits: 3 reads per 4 s window and 1 upload-class request per 5 s for
 * each caller; writes roomy (the demo seed writes twice); predictions unlimited for signed-in
 * callers, 2 per 5 s for each anonymous address.
 */
const LIMITS = 'read=3/4s,write=20/4s,upload=1/5s,predict-anonymous=2/5s';

let mlhub: RunningMlhub;
let scratch: string;
const sessions = new Map<string, string>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const as = (user: string | undefined, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<JsonReply> =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(user ? { authorization: sessions.get(user) as string } : {}) } });

/** The parameters of one Structured Field item, as draft-ietf-httpapi-ratelimit-headers-11 writes it: `"read";r=2;t=3`. */
function fieldItem(value: string | null): { name: string; params: Record<string, number> } {
  const [name = '', ...params] = (value ?? '').split(';');
  return { name, params: Object.fromEntries(params.map((param) => param.split('=')).map(([key, number]) => [key, Number(number)])) };
}

beforeAll(async () => {
  mlhub = await startMlhub({ demo: true, env: { MLHUB_AUTH: 'required', MLHUB_RATE_LIMITS: LIMITS } });
  scratch = await mkdtemp(join(tmpdir(), 'mlhub-rate-'));
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const user of ['ada', 'bob']) sessions.set(user, `Bearer ${await issuer.sign(user)}`);
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('rate limits per caller, over HTTP', () => {
  it('answers a burst over the limit with 429, Retry-After and the RateLimit fields; other callers go on; the caller is served again after the window', async () => {
    // At most 3 reads per window, so of 10 sent within two windows at least one is refused.
    const replies: JsonReply[] = [];
    for (let i = 0; i < 10 && replies.at(-1)?.status !== 429; i += 1) replies.push(await as('ada', 'GET', '/models'));
    const refused = replies.at(-1) as JsonReply;
    expectError(refused, 429, 'rate_limited', /^Too many read requests: at most 3 every 4 s per caller/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 4, `Retry-After ${retryAfter}`).toBe(true);
    expect(refused.headers.get('ratelimit-policy')).toBe('"read";q=3;w=4');
    expect(fieldItem(refused.headers.get('ratelimit'))).toEqual({ name: '"read"', params: { r: 0, t: retryAfter } });
    for (const served of replies.slice(0, -1)) {
      expect(served.status).toBe(200);
      expect(served.headers.get('ratelimit-policy')).toBe('"read";q=3;w=4');
      const { name, params } = fieldItem(served.headers.get('ratelimit'));
      expect(name).toBe('"read"');
      expect(params.r).toBeGreaterThanOrEqual(0);
      expect(params.r).toBeLessThanOrEqual(2);
      expect(served.headers.get('retry-after')).toBeNull();
    }

    // Another user, and an anonymous caller from the same address, each have their own allowance.
    const bob = await as('bob', 'GET', '/models');
    expect(bob.status).toBe(200);
    expect(fieldItem(bob.headers.get('ratelimit')).params.r).toBe(2);
    const anonymous = await as(undefined, 'GET', '/models');
    expect(anonymous.status).toBe(200);
    expect(fieldItem(anonymous.headers.get('ratelimit')).params.r).toBe(2);
    // The same caller's other classes are counted apart.
    const created = await as('ada', 'POST', '/model/rate-ada', json({ type: 'onnx' }));
    expect(created.status).toBe(201);
    expect(created.headers.get('ratelimit-policy')).toBe('"write";q=20;w=4');

    await sleep(retryAfter * 1000);
    const again = await as('ada', 'GET', '/models');
    expect(again.status).toBe(200);
    expect(fieldItem(again.headers.get('ratelimit')).params.r).toBe(2);
  }, 30_000);

  it('never limits the health check, and counts nothing for it', async () => {
    for (let i = 0; i < 8; i += 1) {
      const reply = await as(undefined, 'GET', '/status');
      expect(reply.status).toBe(200);
      expect(reply.headers.get('ratelimit')).toBeNull();
    }
  });

  it('holds anonymous predictions to predict-anonymous, and leaves signed-in callers to the predict class (unlimited here)', async () => {
    const digit = await readFile(new URL('../../models/demo/images/img3.json', import.meta.url));
    const predict = (user: string | undefined) => as(user, 'POST', `/model/${DEMO_MODEL}/predict`, { body: digit, headers: { 'content-type': 'application/json' } });
    // At most 2 per window, so of 6 sent within two windows at least one is refused.
    const replies: JsonReply[] = [];
    for (let i = 0; i < 6 && replies.at(-1)?.status !== 429; i += 1) replies.push(await predict(undefined));
    const refused = replies.at(-1) as JsonReply;
    expectError(refused, 429, 'rate_limited', /^Too many predict-anonymous requests: at most 2 every 5 s per caller/);
    expect(refused.headers.get('ratelimit-policy')).toBe('"predict-anonymous";q=2;w=5');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    for (const served of replies.slice(0, -1)) {
      expect(served.status).toBe(200);
      expect(fieldItem(served.headers.get('ratelimit')).name).toBe('"predict-anonymous"');
    }
    // A signed-in caller from the same address predicts on, counted in no class.
    for (let i = 0; i < 4; i += 1) {
      const signedIn = await predict('ada');
      expect(signedIn.status).toBe(200);
      expect(signedIn.headers.get('ratelimit')).toBeNull();
    }
  });

  it('refuses a request over the limit before reading its body', async () => {
    expect((await as('bob', 'POST', '/model/rate-bob', json({ type: 'onnx' }))).status).toBe(201);
    // The upload class allows one request per window: of three, at least one is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 3 && !statuses.includes(429); i += 1) {
      statuses.push((await as('bob', 'POST', '/model/rate-bob/upload', { body: Buffer.from('not a bundle'), headers: { 'content-type': 'application/octet-stream' } })).status);
    }
    // The one let through reads the body and refuses it; the refused one never looks at it.
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 429)).toEqual(statuses.filter((status) => status === 400));
  });
});

describe('the mlhub CLI under a rate limit', () => {
  it('waits out the 429s of a push as Retry-After says, and finishes it', async () => {
    const env = { MLHUB_CONFIG: join(scratch, 'config.json'), MLHUB_URL: '', MLHUB_TOKEN: '' };
    const login = await runCli(['login', '--local', '--user', 'carol', '--data-dir', mlhub.dataDir, '--url', mlhub.url, '--json'], env);
    expect(login.code, login.stderr).toBe(0);
    expect((await runCli(['create', 'rate-carol', '--type', 'onnx'], env)).code).toBe(0);
    // Listing the open uploads, starting one and completing it: three upload-class requests, one allowed per window.
    const bundle = fileURLToPath(new URL('../../models/demo/mnist.tar.gz', import.meta.url));
    const push = await runCli(['push', 'rate-carol', bundle, '--json'], env);
    expect(push.code, push.stderr).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ version: 1 });
    expect(push.stderr).toMatch(/MLHub is rate limiting (GET|POST) \/model\/rate-carol\/uploads\S* \(429\); retrying in [1-5] s \(1 of 3\)/);
  }, 60_000);
});

describe('the local runtime under a rate limit', () => {
  it('still seeds the demo model into a new data folder when one write per window is allowed', async () => {
    // The seed creates the model and makes it public: two writes, so it must wait out a window.
    const strict = await startMlhub({ demo: true, env: { MLHUB_AUTH: 'required', MLHUB_RATE_LIMITS: 'write=1/2s,upload=1/2s' } });
    try {
      expect(strict.output()).toMatch(/demo\s+created the public model demo-mnist/);
      const demo = await call(strict.url, 'GET', `/model/${DEMO_MODEL}`);
      expect(demo.status).toBe(200);
      expect(demo.body).toMatchObject({ visibility: 'public', latest_version: 1 });
    } finally {
      await strict.stop();
      await removeDataDir(strict.dataDir);
    }
  }, 60_000);
});
