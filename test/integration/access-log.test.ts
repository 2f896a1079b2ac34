/**
 * The local runtime's own lines (the gateway's access log, the S3 request log) pass the same
 * redaction as the handlers' log entries, in both log formats: a token in a query string or a JWT
 * in a path never reaches stdout. Each access line carries the request id the handlers log as
 * correlation_id and the caller gets as x-request-id, so overlapping requests can be told apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccessToken } from '../../functions/tokens/token-format';
import { openLocalIssuer } from '../../local/local-issuer';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

const FORMATS = ['text', 'json'] as const;
const runtimes = new Map<(typeof FORMATS)[number], RunningMlhub>();

beforeAll(async () => {
  await Promise.all(FORMATS.map(async (format) => {
    runtimes.set(format, await startMlhub({ env: { MLHUB_AUTH: 'required', MLHUB_ACCESS_LOG: 'on', MLHUB_S3_REQUEST_LOG: 'on', MLHUB_LOG_FORMAT: format, POWERTOOLS_LOG_LEVEL: 'DEBUG' } }));
  }));
});

afterAll(async () => {
  for (const mlhub of runtimes.values()) {
    await mlhub.stop();
    await removeDataDir(mlhub.dataDir);
  }
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
const send = async (mlhub: RunningMlhub, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${mlhub.url}${path}`, { redirect: 'manual', ...init });
  await response.arrayBuffer();
  return response;
};

describe.each(FORMATS)('with MLHUB_LOG_FORMAT=%s', (format) => {
  it('keeps tokens in query strings, JWTs in paths and presigned URL signatures off stdout, and the rest of the URL on it', async () => {
    const mlhub = runtimes.get(format) as RunningMlhub;
    const issuer = await openLocalIssuer(mlhub.dataDir);
    const jwt = await issuer.sign('ada');
    const created = await fetch(`${mlhub.url}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ci', scope: 'read' }) });
    expect(created.status).toBe(201);
    const pat = ((await created.json()) as { token: string }).token;
    const { secret } = parseAccessToken(pat) as { secret: string };

    await send(mlhub, `/models?access_token=${pat}&limit=5`);
    await send(mlhub, '/models?mine=1&token=opaque-secret-4711&limit=3', { headers: { authorization: `Bearer ${jwt}` } });
    await send(mlhub, `/model/${jwt}`);
    await send(mlhub, `/models?X-Amz-Signature=${'ab'.repeat(32)}`);
    // A presigned upload URL, used: the S3 request log gets it, signature and all.
    const asAda = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
    expect((await send(mlhub, '/model/logged', { method: 'POST', headers: asAda, body: JSON.stringify({ type: 'onnx' }) })).status).toBe(201);
    const session = (await (await fetch(`${mlhub.url}/model/logged/uploads`, { method: 'POST', headers: asAda, body: JSON.stringify({ size: 10 }) })).json()) as { status_url: string };
    const status = (await (await fetch(`${mlhub.url}${session.status_url}`, { headers: asAda })).json()) as { urls: { url: string; headers: Record<string, string> }[] };
    const [part] = status.urls;
    const presigned = new URL(part?.url as string);
    const put = await fetch(presigned, { method: 'PUT', headers: part?.headers ?? {}, body: Buffer.alloc(10) });
    await put.arrayBuffer();
    expect(put.status).toBe(200);
    await settle();

    const output = mlhub.output();
    expect(output).toMatch(/^GET \/models\?access_token=\[redacted\]&limit=5 \d{3} [\d.]+ms correlation_id=\S+$/m);
    expect(output).toMatch(/^GET \/models\?mine=1&token=\[redacted\]&limit=3 \d{3} [\d.]+ms correlation_id=\S+$/m);
    expect(output).toMatch(/^GET \/model\/\[redacted\] \d{3} /m);
    expect(output).toMatch(/^s3 PUT \/\S+\?\S*X-Amz-Signature=\[redacted\]\S* 200$/m);
    for (const leaked of [pat, secret, pat.slice(0, 21), 'opaque-secret-4711', presigned.searchParams.get('X-Amz-Signature') as string, 'ab'.repeat(32), ...jwt.split('.')]) {
      expect(output).not.toContain(leaked);
    }
  });

  it('names in each access line the request id the handlers log and the caller gets, so overlapping requests can be matched', async () => {
    const mlhub = runtimes.get(format) as RunningMlhub;
    const issuer = await openLocalIssuer(mlhub.dataDir);
    const callers = ['bea', 'cai', 'dov', 'eli', 'fay', 'gus'];
    const replies = await Promise.all(callers.map(async (user) => ({ user, response: await send(mlhub, `/models?mine=1&limit=${callers.indexOf(user) + 1}`, { headers: { authorization: `Bearer ${await issuer.sign(user)}` } }) })));
    await settle();
    const lines = mlhub.output().split('\n');
    for (const [index, { user, response }] of replies.entries()) {
      expect(response.status).toBe(200);
      const requestId = response.headers.get('x-request-id') as string;
      const tagged = lines.filter((line) => line.includes(`correlation_id=${requestId}`) || line.includes(`"correlation_id":"${requestId}"`));
      expect(tagged).toContain(`GET /models?mine=1&limit=${index + 1} 200 ${/ ([\d.]+ms) correlation_id/.exec(tagged.find((line) => line.startsWith('GET ')) ?? '')?.[1]} correlation_id=${requestId}`);
      // The handler's own entry for that request, keyed by the same id, names the caller.
      expect(tagged.some((line) => line.includes('request answered') && (line.includes(` user_id=${user} `) || line.includes(`"user_id":"${user}"`)))).toBe(true);
    }
  });
});
