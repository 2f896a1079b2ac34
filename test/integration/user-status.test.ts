import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_RETRY_AFTER_SECONDS } from '../../functions/identity/identity-unavailable';
import { openLocalIssuer } from '../../local/local-issuer';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { startFakeCognito, type FakeCognito } from '../support/fake-cognito';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/**
 * Personal access tokens against a user pool: the local runtime asks a server that speaks the
 * Cognito Identity Provider API, through the real SDK client, as a deployed stack asks its pool.
 */
const POOL = 'us-east-1_MLHubTest1';
const CACHE_SECONDS = 5;
let cognito: FakeCognito;
let mlhub: RunningMlhub;
const [ada, bob, carol] = ['5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '6b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e', '7c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f'];
const sessions = new Map<string, string>();

const as = (authorization: string | undefined, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}) =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(authorization ? { authorization } : {}) } });

async function personalToken(user: string): Promise<string> {
  const created = await as(sessions.get(user), 'POST', '/tokens', json({ name: 'script', scope: 'read' }));
  expect(created.status).toBe(201);
  return `Bearer ${(created.body as { token: string }).token}`;
}

const callsFor = (user: string) => cognito.calls.filter((received) => (received.body as { Username?: string })?.Username === user);

beforeAll(async () => {
  cognito = await startFakeCognito({ userPoolId: POOL, credentials: LOCAL_S3_CREDENTIALS });
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required', MLHUB_COGNITO_USER_POOL_ID: POOL, MLHUB_COGNITO_ENDPOINT: cognito.url, MLHUB_USER_STATUS_CACHE_SECONDS: String(CACHE_SECONDS) } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const user of [ada, bob, carol]) {
    sessions.set(user, `Bearer ${await issuer.sign(user)}`);
    cognito.setUser(user, true);
  }
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  await cognito?.close();
});

describe('personal access tokens and the user pool', () => {
  it('stop working once the pool says their user is disabled or deleted, after the cache window', async () => {
    const [adaToken, bobToken] = [await personalToken(ada), await personalToken(bob)];
    // Sign-in tokens are not asked about: Cognito issues none to a disabled user.
    expect(cognito.calls).toEqual([]);

    const firstAsked = Date.now();
    expect((await as(adaToken, 'GET', '/me')).status).toBe(200);
    expect((await as(bobToken, 'GET', '/me')).status).toBe(200);
    expect(cognito.calls).toEqual([
      { target: 'AdminGetUser', body: { UserPoolId: POOL, Username: ada }, problems: [] },
      { target: 'AdminGetUser', body: { UserPoolId: POOL, Username: bob }, problems: [] },
    ]);

    cognito.setUser(ada, false);
    cognito.deleteUser(bob);
    // Within the window the answers kept are used, and the pool is not asked again.
    expect((await as(adaToken, 'GET', '/me')).status).toBe(200);
    expect(Date.now() - firstAsked).toBeLessThan(CACHE_SECONDS * 1000);
    expect(cognito.calls).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, CACHE_SECONDS * 1000 - (Date.now() - firstAsked) + 300));
    const disabled = await as(adaToken, 'GET', '/me');
    expectError(disabled, 401, 'invalid_token', /disabled in the user pool/);
    expect(disabled.headers.get('www-authenticate')).toBe('Bearer realm="mlhub", error="invalid_token", error_description="the user is disabled in the user pool"');
    expectError(await as(bobToken, 'GET', '/models'), 401, 'invalid_token', /no longer exists in the user pool/);
    expect(callsFor(ada)).toHaveLength(2);
    expect(callsFor(bob)).toHaveLength(2);
    expect(cognito.calls.every((received) => received.problems.length === 0)).toBe(true);

    // Enabled again: the token works once the refusal kept has expired.
    cognito.setUser(ada, true);
    await new Promise((resolve) => setTimeout(resolve, CACHE_SECONDS * 1000 + 200));
    expect((await as(adaToken, 'GET', '/me')).status).toBe(200);
  }, 60_000);

  it('fails closed: while the pool cannot answer, a token it has no answer for gets 503, and works again after', async () => {
    const token = await personalToken(carol);
    cognito.outage = true;
    try {
      const refused = await as(token, 'GET', '/me');
      expectError(refused, 503, 'identity_unavailable', /user pool could not be asked/);
      // RFC 9110 §10.2.3: how long to wait, as a 429 says it; CORS lets a browser read it.
      expect(refused.headers.get('retry-after')).toBe(String(IDENTITY_RETRY_AFTER_SECONDS));
    } finally {
      cognito.outage = false;
    }
    expect((await as(token, 'GET', '/me')).status).toBe(200);
  }, 60_000);
});

describe('the local runtime\'s user pool settings', () => {
  it('refuses a pool id without an endpoint to ask, naming both settings', async () => {
    const failure = await startMlhub({ env: { MLHUB_COGNITO_USER_POOL_ID: POOL, MLHUB_COGNITO_ENDPOINT: '' } }).then(() => undefined, (error: unknown) => error as Error & { exitCode: number | null });
    expect(failure?.exitCode).toBe(2);
    expect(failure?.message).toMatch(/MLHUB_COGNITO_USER_POOL_ID needs MLHUB_COGNITO_ENDPOINT locally/);
  }, 60_000);
});
