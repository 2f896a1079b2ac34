/**
 * What MLHub prints while it serves, started as `npm start` does with DEBUG logs and metrics
 * on: one readable line per log entry, keyed to the request that made it even when requests run
 * at once, EMF documents when asked for, and never a credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { parseAccessToken } from '../../functions/tokens/token-format';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

let mlhub: RunningMlhub;
let session: (user: string) => Promise<string>;

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required', POWERTOOLS_LOG_LEVEL: 'DEBUG', MLHUB_METRICS: 'on' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  session = async (user) => `Bearer ${await issuer.sign(user)}`;
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

/** The text log line of the `request answered` entry with this correlation id (the x-request-id the caller got). */
const answeredLine = (requestId: string): string | undefined => mlhub.output().split('\n').find((line) => line.includes(' DEBUG request answered ') && line.includes(`correlation_id=${requestId}`));

describe('the local runtime\'s output', () => {
  it('never holds a token\'s secret or a session token, while naming the caller and the route', async () => {
    const jwt = await session('ada');
    const created = await call<{ token: string }>(mlhub.url, 'POST', '/tokens', { ...json({ name: 'ci', scope: 'read', expires_in_days: 1 }), headers: { ...json({}).headers, authorization: jwt } });
    expect(created.status).toBe(201);
    const { secret } = parseAccessToken(created.body.token) as { secret: string };
    const listed = await call(mlhub.url, 'GET', '/models', { headers: { authorization: `Bearer ${created.body.token}` } });
    expect(listed.status).toBe(200);
    const refused = await call(mlhub.url, 'GET', '/models', { headers: { authorization: `Bearer ${created.body.token.slice(0, -5)}AAAAA` } });
    expect(refused.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const line = answeredLine(listed.headers.get('x-request-id') as string);
    expect(line).toMatch(/ route_id=listModels /);
    expect(line).toMatch(/ user_id=ada credential=token /);
    expect(line).toMatch(/ status=200 /);
    const output = mlhub.output();
    expect(output).not.toContain(secret);
    expect(output).not.toContain(created.body.token.slice(0, 21));
    for (const part of jwt.replace('Bearer ', '').split('.')) expect(output).not.toContain(part);
    // MLHUB_METRICS=on: the EMF document of that request.
    const emf = output.split('\n').filter((candidate) => candidate.startsWith('{"_aws"')).map((candidate) => JSON.parse(candidate) as Record<string, unknown>);
    expect(emf).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'mlhub', route_id: 'listModels', Requests: 1, '4xx': 1 })]));
  });

  it('keys each entry to its own request when requests run at once', async () => {
    const callers = ['bea', 'cai', 'dov', 'eli', 'fay', 'gus'];
    const replies = await Promise.all(callers.flatMap((user) => [
      session(user).then((authorization) => call(mlhub.url, 'GET', '/models?mine=1', { headers: { authorization } })),
      session(user).then((authorization) => call(mlhub.url, 'GET', '/tokens', { headers: { authorization } })),
    ]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    replies.forEach((reply, index) => {
      expect(reply.status).toBe(200);
      const line = answeredLine(reply.headers.get('x-request-id') as string);
      expect(line).toContain(` route_id=${index % 2 === 0 ? 'listModels' : 'listTokens'} `);
      expect(line).toContain(` user_id=${callers[Math.floor(index / 2)]} `);
    });
  });
});
