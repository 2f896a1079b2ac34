import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OffboardingReport } from '../../functions/offboarding/user-offboarding';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run offboard -- <args>`, as an operator runs it. */
function offboard(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/offboard-user.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let mlhub: RunningMlhub;
const sessions = new Map<string, string>();
// Ids as Cognito gives them.
const [ada, bob] = ['2c1f6a9e-3b7d-4e21-9a0c-5d8e7f6b4a31', '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b'];

const as = (authorization: string | undefined, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}) =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(authorization ? { authorization } : {}) } });

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const user of [ada, bob]) sessions.set(user, `Bearer ${await issuer.sign(user)}`);
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('npm run offboard', () => {
  it("revokes a user's tokens, refuses their sign-in, removes their grants, and leaves the models they own and others' models as they were", async () => {
    const created = await as(sessions.get(ada), 'POST', '/tokens', json({ name: 'ci', scope: 'write' }));
    expect(created.status).toBe(201);
    const pat = created.body as { id: string; token: string };
    expect((await as(`Bearer ${pat.token}`, 'GET', '/me')).status).toBe(200);

    // Bob shares his model with Ada; Ada owns one private and one public model.
    expect((await as(sessions.get(bob), 'POST', '/model/bobs-model', json({ type: 'onnx', description: 'Bob\'s' }))).status).toBe(201);
    expect((await as(sessions.get(bob), 'PUT', '/model/bobs-model/access', json({ grants: [{ user: ada, role: 'write' }] }))).status).toBe(200);
    expect((await as(`Bearer ${pat.token}`, 'GET', '/model/bobs-model')).status).toBe(200);
    expect((await as(`Bearer ${pat.token}`, 'POST', '/model/adas-private', json({ type: 'onnx' }))).status).toBe(201);
    expect((await as(sessions.get(ada), 'POST', '/model/adas-public', json({ type: 'onnx', visibility: 'public' }))).status).toBe(201);
    const bobsBefore = await as(sessions.get(bob), 'GET', '/model/bobs-model');
    const adasPublicBefore = await as(undefined, 'GET', '/model/adas-public');

    const run = await offboard(['--user', ada], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as OffboardingReport;
    expect(report.user).toBe(ada);
    expect(Date.parse(report.offboarded_at)).not.toBeNaN();
    expect(report.tokens_revoked).toEqual([expect.objectContaining({ id: pat.id, name: 'ci', scope: 'write' })]);
    expect(report.grants_removed).toEqual([{ model: 'bobs-model', role: 'write' }]);
    expect(report.models_owned.map((model) => [model.name, model.visibility]).sort()).toEqual([['adas-private', 'private'], ['adas-public', 'public']]);
    expect(run.stderr).toMatch(/1 token\(s\) revoked, 1 grant\(s\) removed, 2 model\(s\) owned left untouched/);

    // The token is gone, and the sign-in token, still within its life, is refused too.
    const byToken = await as(`Bearer ${pat.token}`, 'GET', '/me');
    expectError(byToken, 401, 'invalid_token');
    const bySession = await as(sessions.get(ada), 'GET', '/me');
    expectError(bySession, 401, 'invalid_token', /offboarded by an administrator/);
    expect(bySession.headers.get('www-authenticate')).toMatch(/error="invalid_token", error_description="the user was offboarded by an administrator"/);
    // Even on a route anonymous callers may use: a refused credential is never taken for none.
    expectError(await as(sessions.get(ada), 'GET', '/model/adas-public'), 401, 'invalid_token');

    // Bob's model lost Ada's grant and nothing else.
    const access = await as(sessions.get(bob), 'GET', '/model/bobs-model/access');
    expect(access.status).toBe(200);
    expect((access.body as { grants: unknown[] }).grants).toEqual([]);
    const bobsAfter = await as(sessions.get(bob), 'GET', '/model/bobs-model');
    const { grants: grantsBefore, ...restBefore } = bobsBefore.body as { grants: unknown[] };
    const { grants: grantsAfter, ...restAfter } = bobsAfter.body as { grants: unknown[] };
    expect(grantsBefore).toHaveLength(1);
    expect(grantsAfter).toEqual([]);
    expect(restAfter).toEqual(restBefore);
    // Ada's own public model is still there for everyone.
    const adasPublicAfter = await as(undefined, 'GET', '/model/adas-public');
    expect(adasPublicAfter.status).toBe(200);
    expect(adasPublicAfter.body).toEqual(adasPublicBefore.body);

    // A second run finds nothing left to revoke, and keeps the first time.
    const again = await offboard(['--user', ada], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as OffboardingReport;
    expect([second.offboarded_at, second.tokens_revoked, second.grants_removed]).toEqual([report.offboarded_at, [], []]);

    // What was removed stays removed: Bob cannot grant Ada again while she is offboarded, and a
    // refused list changes nothing, not even its other grants.
    const carol = 'c4a1e2b3-7d6f-4e5a-9b8c-0d1e2f3a4b5c';
    const regrant = await as(sessions.get(bob), 'PUT', '/model/bobs-model/access', json({ grants: [{ user: carol, role: 'read' }, { user: ada, role: 'read' }] }));
    expectError(regrant, 409, 'user_offboarded', new RegExp(`grants\\.1\\.user: user '${ada}' was offboarded`));
    expect(((await as(sessions.get(bob), 'GET', '/model/bobs-model/access')).body as { grants: unknown[] }).grants).toEqual([]);
    expect((await as(sessions.get(bob), 'PUT', '/model/bobs-model/access', json({ grants: [{ user: carol, role: 'read' }] }))).status).toBe(200);
  }, 60_000);

  it('refuses an id MLHub holds no trace of, unless --force: a mistyped id is not taken for an offboarded user', async () => {
    const stranger = 'nobody-at-all';
    const session = `Bearer ${await (await openLocalIssuer(mlhub.dataDir)).sign(stranger)}`;
    const refused = await offboard(['--user', stranger], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/MLHub holds no trace of 'nobody-at-all'.*--force/s);
    // Nothing was marked.
    expect((await as(session, 'GET', '/me')).status).toBe(200);

    // Offboarding someone ahead of their first use is legitimate, with --force; a second run then finds the mark.
    const forced = await offboard(['--user', stranger, '--force'], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(forced.code, forced.stderr).toBe(0);
    expect((JSON.parse(forced.stdout) as OffboardingReport).user).toBe(stranger);
    expectError(await as(session, 'GET', '/me'), 401, 'invalid_token', /offboarded/);
    expect((await offboard(['--user', stranger], { MLHUB_DATA_DIR: mlhub.dataDir })).code).toBe(0);
  }, 60_000);

  it('takes every user id a grant takes, spaces included, and refuses the ones a grant refuses, with the same words', async () => {
    const spaced = 'Ada Lovelace';
    const owner = `Bearer ${await (await openLocalIssuer(mlhub.dataDir)).sign('e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9')}`;
    expect((await as(owner, 'POST', '/model/shared-with-spaces', json({ type: 'onnx' }))).status).toBe(201);
    expect((await as(owner, 'PUT', '/model/shared-with-spaces/access', json({ grants: [{ user: spaced, role: 'read' }] }))).status).toBe(200);
    const run = await offboard(['--user', spaced], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as OffboardingReport).grants_removed).toEqual([{ model: 'shared-with-spaces', role: 'read' }]);

    const hidden = 'bob\u202Eevil';
    expectError(await as(owner, 'PUT', '/model/shared-with-spaces/access', json({ grants: [{ user: hidden, role: 'read' }] })), 400, 'invalid_body', /must not contain control, format or line-separator characters/);
    const refused = await offboard(['--user', hidden], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--user .*must not contain control, format or line-separator characters/);
    expect(refused.stderr).toContain('usage: npm run offboard');
  }, 60_000);

  it('reinstates a user: they may sign in again, and what the offboarding removed stays removed', async () => {
    const user = '4f3e2d1c-0b9a-4877-8665-544332211000';
    const issuer = await openLocalIssuer(mlhub.dataDir);
    const session = `Bearer ${await issuer.sign(user)}`;
    const pat = (await as(session, 'POST', '/tokens', json({ name: 'old', scope: 'read' }))).body as { token: string };
    expect((await offboard(['--user', user], { MLHUB_DATA_DIR: mlhub.dataDir })).code).toBe(0);
    expectError(await as(session, 'GET', '/me'), 401, 'invalid_token');

    const run = await offboard(['--user', user, '--reinstate'], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ user, reinstated: true });
    expect((await as(session, 'GET', '/me')).status).toBe(200);
    expectError(await as(`Bearer ${pat.token}`, 'GET', '/me'), 401, 'invalid_token', /unknown or revoked/);
    const twice = await offboard(['--user', user, '--reinstate'], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(JSON.parse(twice.stdout)).toEqual({ user, reinstated: false });
  }, 60_000);

  it('works on a deployed table by name with the operator\'s credentials and region, as the SDK finds them', async () => {
    const user = '8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d';
    const session = `Bearer ${await (await openLocalIssuer(mlhub.dataDir)).sign(user)}`;
    const pat = (await as(session, 'POST', '/tokens', json({ name: 'cloud', scope: 'read' }))).body as { id: string; token: string };
    // The "cloud" here is the runtime's DynamoDB, reached the way the SDK reaches any endpoint; no data folder is read.
    const operator = {
      MLHUB_DATA_DIR: '/nonexistent/mlhub-data', AWS_ENDPOINT_URL_DYNAMODB: mlhub.dynamoEndpoint,
      AWS_ACCESS_KEY_ID: 'AKIDOPERATOR', AWS_SECRET_ACCESS_KEY: 'operator-secret', AWS_REGION: '', AWS_PROFILE: '',
    };
    const run = await offboard(['--user', user, '--table', 'mlhub', '--region', 'us-east-1'], operator);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as OffboardingReport).tokens_revoked.map((token) => token.id)).toEqual([pat.id]);
    expect(run.stderr).toMatch(/in table mlhub: 1 token\(s\) revoked/);
    expectError(await as(`Bearer ${pat.token}`, 'GET', '/me'), 401, 'invalid_token');
    expectError(await as(session, 'GET', '/me'), 401, 'invalid_token', /offboarded/);

    const missing = await offboard(['--user', user, '--table', 'no-such-table', '--region', 'us-east-1'], operator);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No table no-such-table there: pass the stack's TableName output/);
  }, 60_000);

  it('says what is wrong with its arguments, and when no local runtime runs', async () => {
    const noUser = await offboard([], { MLHUB_DATA_DIR: mlhub.dataDir });
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/--user takes the user's id/);
    const badTable = await offboard(['--user', ada, '--table', 'a b'], {});
    expect(badTable.code).toBe(2);
    expect(badTable.stderr).toMatch(/--table takes a DynamoDB table name/);
    for (const args of [['--user', '--reinstate'], ['--user', ada, '--frobnicate'], ['--user', ada, 'extra'], ['--user', ada, '--region', 'eu-west-1'], ['--user', ada, '--reinstate', '--force']]) {
      const wrong = await offboard(args, { MLHUB_DATA_DIR: mlhub.dataDir });
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.stderr, args.join(' ')).toContain('usage: npm run offboard -- --user <user id>');
      expect(wrong.stderr, args.join(' ')).not.toMatch(/TypeError|ERR_PARSE_ARGS|\n\s+at /);
    }
    expect(badTable.stderr).toContain('usage: npm run offboard');
    const nowhere = await offboard(['--user', ada], { MLHUB_DATA_DIR: await mkdtemp(join(tmpdir(), 'mlhub-none-')) });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/No local MLHub is running on .*npm start.*--table/);
  }, 60_000);
});
