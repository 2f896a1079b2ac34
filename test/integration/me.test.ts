import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerView } from '../../functions/identity/caller-view';
import { ANONYMOUS, userActor } from '../../functions/identity/actor';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { runCli } from '../support/run-cli';

let mlhub: RunningMlhub;
const sessions = new Map<string, string>();

const as = (authorization: string | undefined, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}) =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(authorization ? { authorization } : {}) } });

async function personalToken(user: string, scope: 'read' | 'write'): Promise<{ id: string; token: string }> {
  const created = await as(sessions.get(user), 'POST', '/tokens', json({ name: `me-${scope}`, scope }));
  expect(created.status).toBe(201);
  return created.body as { id: string; token: string };
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  // Ids as Cognito gives them: UUIDs, which nobody can guess from a name.
  for (const user of ['0b5e2f8a-5d0c-4c6e-9f61-0f3f2c8f9a11', '7d1c4b2e-8a3f-4f0e-b6d2-3c9e5a7b1d22']) sessions.set(user, `Bearer ${await issuer.sign(user)}`);
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('GET /me', () => {
  const [ada, bob] = ['0b5e2f8a-5d0c-4c6e-9f61-0f3f2c8f9a11', '7d1c4b2e-8a3f-4f0e-b6d2-3c9e5a7b1d22'];

  it('tells a signed-in caller their id and that they came with a session', async () => {
    const reply = await as(sessions.get(ada), 'GET', '/me');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ user: ada, auth: 'session', scope: null, token_id: null });
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it("tells a caller with a personal access token the token's scope and id, read or write", async () => {
    for (const scope of ['read', 'write'] as const) {
      const token = await personalToken(ada, scope);
      const reply = await as(`Bearer ${token.token}`, 'GET', '/me');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ user: ada, auth: 'token', scope, token_id: token.id });
      const listed = (await as(sessions.get(ada), 'GET', '/tokens')).body as { id: string; scope: string }[];
      expect(listed).toContainEqual(expect.objectContaining({ id: token.id, scope }));
    }
  });

  it('asks an anonymous caller to sign in, and refuses a token that is not valid', async () => {
    const anonymous = await as(undefined, 'GET', '/me');
    expectError(anonymous, 401, 'authentication_required');
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="mlhub"');
    expectError(await as('Bearer mlh_0000000000000000_notarealsecret', 'GET', '/me'), 401, 'invalid_token');
  });

  it('gives the id that a model is shared by: the owner grants it, and its holder reads the model', async () => {
    const model = 'shared-by-me';
    expect((await as(sessions.get(ada), 'POST', `/model/${model}`, json({ type: 'onnx' }))).status).toBe(201);
    expect((await as(sessions.get(bob), 'GET', `/model/${model}`)).status).toBe(404);
    const bobsId = ((await as(sessions.get(bob), 'GET', '/me')).body as { user: string }).user;
    expect((await as(sessions.get(ada), 'PUT', `/model/${model}/access`, json({ grants: [{ user: bobsId, role: 'read' }] }))).status).toBe(200);
    expect((await as(sessions.get(bob), 'GET', `/model/${model}`)).status).toBe(200);
  });

  it('is what mlhub whoami prints', async () => {
    const token = await personalToken(bob, 'read');
    const env = { MLHUB_CONFIG: '/nonexistent/mlhub-config.json', MLHUB_URL: '', MLHUB_TOKEN: '' };
    const json = await runCli(['whoami', '--url', mlhub.url, '--token', token.token, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ user: bob, auth: 'token', scope: 'read', token_id: token.id });
    const human = await runCli(['whoami', '--url', mlhub.url, '--token', String(sessions.get(bob)).replace('Bearer ', '')], env);
    expect(human.stdout.trim()).toBe(`${bob} (signed in)`);
    const anonymous = await runCli(['whoami', '--url', mlhub.url], env);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/Not logged in.*\(401 authentication_required\).*mlhub login --local/);
  });

  it('says dev mode for the local runtime\'s dev user, who may do all a session may', () => {
    expect(callerView(userActor('local', 'dev'))).toEqual({ user: 'local', auth: 'dev', scope: null, token_id: null });
    expect(() => callerView(ANONYMOUS)).toThrow(/signed-in callers only/);
  });
});
