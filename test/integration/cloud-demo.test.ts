import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const ADA = '0b5e2f8a-5d0c-4c6e-9f61-0f3f2c8f9a11';
let mlhub: RunningMlhub;
let api: string;
/** A personal access token of Ada's, with write scope. */
let demoToken: string;
/** Sign-in tokens of Ada and Bob. */
const sessions: Record<'ada' | 'bob', string> = { ada: '', bob: '' };

/** `npm run demo -- …` as a user types it, from a folder that is not MLHub's data folder. */
function runDemo(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/seed-demo.ts', ...args], {
      cwd: repoRoot,
      // No MLHUB_DATA_DIR: a deployed stack has no local issuer to borrow.
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  mlhub = await startMlhub({ demo: true, env: { MLHUB_AUTH: 'required' } });
  // The stack's ApiUrl output ends in '/', as this does.
  api = `${mlhub.url}/`;
  const issuer = await openLocalIssuer(mlhub.dataDir);
  // A deployed stack starts empty: remove the demo model the local runtime seeded.
  const removed = await call(mlhub.url, 'DELETE', '/model/demo-mnist', { headers: { authorization: `Bearer ${await issuer.sign('local')}` } });
  expect(removed.status, JSON.stringify(removed.body)).toBe(200);
  const session = `Bearer ${await issuer.sign(ADA)}`;
  sessions.ada = session;
  sessions.bob = `Bearer ${await issuer.sign('bob')}`;
  const created = await call<{ token: string }>(mlhub.url, 'POST', '/tokens', { ...json({ name: 'demo', scope: 'write' }), headers: { ...json({}).headers, authorization: session } });
  expect(created.status).toBe(201);
  demoToken = created.body.token;
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('npm run demo -- --url <api> --token <token>', () => {
  it('refuses a token the API refuses, and publishes nothing', async () => {
    const refused = await runDemo(['--url', api, '--token', 'mlh_0000000000000000_notasecret']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/answered 401/);
    expect((await call(mlhub.url, 'GET', '/model/demo-mnist')).status).toBe(404);
  });

  it("publishes the demo model as the token's user, public, and a stranger predicts with it", async () => {
    const token = demoToken;
    const first = await runDemo(['--url', api], { MLHUB_TOKEN: token });
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain(`Published demo-mnist at ${mlhub.url}/model/demo-mnist\n`);
    const model = await call<{ owner?: string; visibility?: string }>(mlhub.url, 'GET', '/model/demo-mnist');
    expect(model.status).toBe(200);
    expect(model.body).toMatchObject({ owner: ADA, visibility: 'public' });

    // The command it prints, run anonymously, from the repository.
    const predict = /curl -X POST -H 'content-type: application\/json' -d @(\S+) (\S+)/.exec(first.out);
    expect(predict).not.toBeNull();
    const [, input, url] = predict as unknown as [string, string, string];
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: await readFile(`${repoRoot}${input}`) });
    const body = await answer.json() as { model: string; predictions: { label: string }[] };
    expect(answer.status, JSON.stringify(body)).toBe(200);
    expect(body.model).toBe('demo-mnist');
    expect(body.predictions[0]?.label).toBe('3');

    const again = await runDemo(['--url', api, '--token', token]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('demo-mnist is already there');
  }, 60_000);

  it("finishes the caller's own demo model that an interrupted run left half made, and leaves another user's alone", async () => {
    const as = (who: 'ada' | 'bob') => ({ headers: { ...json({}).headers, authorization: sessions[who] } });
    const createBare = async (who: 'ada' | 'bob') => {
      expect((await call(mlhub.url, 'DELETE', '/model/demo-mnist', as('ada'))).status).toBeLessThan(500);
      const created = await call(mlhub.url, 'POST', '/model/demo-mnist', { ...as(who), body: JSON.stringify({ type: 'ONNX' }) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    };
    // A run killed after its first request: the model exists, private, with no bundle.
    await createBare('ada');
    const finished = await runDemo(['--url', api, '--token', demoToken]);
    expect(finished.code, finished.out).toBe(0);
    expect(finished.out).toContain('Finished publishing demo-mnist');
    const model = await call<{ visibility: string; latest_version: number | null }>(mlhub.url, 'GET', '/model/demo-mnist');
    // Version numbers are never handed out twice under a name, so this one is past those of the earlier tests.
    expect(model.body).toMatchObject({ visibility: 'public', latest_version: expect.any(Number) });

    // Bob's private model of that name: the demo says so and changes nothing.
    await createBare('bob');
    const refused = await runDemo(['--url', api, '--token', demoToken]);
    expect(refused.code, refused.out).toBe(1);
    expect(refused.out).toMatch(/demo-mnist already exists as another user's private model/);
    const bobs = await call<{ owner: string; visibility: string; latest_version: number | null }>(mlhub.url, 'GET', '/model/demo-mnist', as('bob'));
    expect(bobs.body).toMatchObject({ owner: 'bob', visibility: 'private', latest_version: null });
  }, 60_000);

  it('says what is wrong with its arguments, with exit code 2', async () => {
    // A folder with no local MLHub in it, as on a machine that only talks to a deployed stack.
    const elsewhere = await mkdtemp(join(tmpdir(), 'mlhub-demo-'));
    for (const args of [['--url', 'ftp://example.org'], ['--url', api, '--token', ' '], ['--nope'], ['--url', api]]) {
      const run = await runDemo(args, { MLHUB_DATA_DIR: elsewhere });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.out).toMatch(/^demo: .*\nusage: npm run demo/);
    }
    // Without a token, it says to give one, rather than sign with a key it would have to make up.
    expect((await runDemo(['--url', api], { MLHUB_DATA_DIR: elsewhere })).out).toMatch(/^demo: no token: give --token <token> \(or MLHUB_TOKEN\)/);
    expect(existsSync(join(elsewhere, 'identity'))).toBe(false);
  });
});
