import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL } from '../../local/demo-model';
import { closedPort } from '../support/inference/protocol-server';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { runCli, spawnCli } from '../support/run-cli';
import { makeTar } from '../support/tarballs';

let mlhub: RunningMlhub;
let scratch: string;
let env: Record<string, string>;
let bigBundle: string;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const json = <T>(text: string) => JSON.parse(text) as T;

interface PushResult { version: number; sha256: string; size: number; resumed: boolean; partsTotal: number; partsSkipped: number; partsSent: number; uploadId: string }

beforeAll(async () => {
  mlhub = await startMlhub({ demo: true, env: { MLHUB_AUTH: 'required', MLHUB_S3_REQUEST_LOG: 'on' } });
  scratch = await mkdtemp(join(tmpdir(), 'mlhub-cli-'));
  env = { MLHUB_CONFIG: join(scratch, 'config.json'), MLHUB_URL: '', MLHUB_TOKEN: '' };
  // 64 MB of incompressible weights: eight 8 MiB parts.
  bigBundle = join(scratch, 'big.tar.gz');
  await writeFile(bigBundle, gzipSync(await makeTar([{ name: 'big/', type: 'directory' }, { name: 'big/weights.bin', content: randomBytes(64 * 1000 * 1000) }]), { level: 1 }));
  const login = await runCli(['login', '--local', '--user', 'ada', '--data-dir', mlhub.dataDir, '--url', mlhub.url, '--json'], env);
  expect(login.code, login.stderr).toBe(0);
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('the mlhub CLI, as a user drives it', () => {
  it('creates, pushes a 64 MB bundle in parts, lists, shows and pulls it byte-exact', async () => {
    expect((await runCli(['create', 'big', '--type', 'pytorch', '--description', 'large'], env)).code).toBe(0);
    const push = await runCli(['push', 'big', bigBundle, '--json'], env);
    expect(push.code, push.stderr).toBe(0);
    const pushed = json<PushResult>(push.stdout);
    const original = await readFile(bigBundle);
    expect(pushed).toMatchObject({ version: 1, sha256: sha(original), size: original.length, resumed: false, partsTotal: 8, partsSent: 8 });

    const listed = json<{ model: string; latest_version: number }[]>((await runCli(['ls', '--mine', '--json'], env)).stdout);
    expect(listed).toEqual([expect.objectContaining({ model: 'big', latest_version: 1 })]);
    const shown = json<{ versions: { status: string; sha256: string }[] }>((await runCli(['show', 'big', '--json'], env)).stdout);
    expect(shown.versions).toEqual([expect.objectContaining({ status: 'ready', sha256: sha(original) })]);

    const target = join(scratch, 'pulled.tar.gz');
    const pull = await runCli(['pull', 'big', '-o', target, '--json'], env);
    expect(pull.code, pull.stderr).toBe(0);
    expect(sha(await readFile(target))).toBe(sha(original));
    expect(human(await runCli(['ls'], env))).toMatch(/^big\s+PyTorch\s+v1\s+private\s+ada$/m);
  });

  it('resumes a push that was killed half-way without sending the parts S3 already has', async () => {
    expect((await runCli(['create', 'resumed', '--type', 'onnx'], env)).code).toBe(0);
    const logged = () => mlhub.output().split('\n').filter((line) => /^s3 PUT \S*models\/resumed\/1\/[0-9a-f]{24}\/bundle\.tar\.gz\?\S*partNumber=/.test(line));
    const first = spawnCli(['push', 'resumed', bigBundle, '--parallel', '1'], env);
    const exited = new Promise((resolve) => first.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (logged().filter((line) => line.endsWith(' 200')).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    first.kill('SIGKILL');
    await exited;
    const partOf = (line: string) => Number(/partNumber=(\d+)/.exec(line)?.[1]);
    const storedBeforeKill = new Set(logged().filter((line) => line.endsWith(' 200')).map(partOf));
    expect(storedBeforeKill.size).toBeGreaterThanOrEqual(3);
    const linesBefore = logged().length;

    const second = await runCli(['push', 'resumed', bigBundle, '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    const result = json<PushResult>(second.stdout);
    expect(result.resumed).toBe(true);
    expect(result.partsSkipped).toBeGreaterThanOrEqual(storedBeforeKill.size);
    const resent = logged().slice(linesBefore).map(partOf);
    expect(resent.filter((part) => storedBeforeKill.has(part))).toEqual([]);
    expect(new Set([...storedBeforeKill, ...resent]).size).toBe(8);
    expect(result.sha256).toBe(sha(await readFile(bigBundle)));
  });

  it('packs a folder on the fly, and predicts with JSON and an image', async () => {
    const push = await runCli(['push', 'digits', 'models/demo/mnist', '--create', 'onnx', '--json'], env);
    expect(push.code, push.stderr).toBe(0);
    const vector = await runCli(['predict', 'digits', '--input-file', 'models/demo/images/img3.json', '--json'], env);
    expect(json<{ predictions: { label: string }[] }>(vector.stdout).predictions[0]?.label).toBe('3');
    const image = await runCli(['predict', DEMO_MODEL, '--image', 'models/demo/images/img4.png'], env);
    expect(image.stdout).toMatch(/^0: 4 \(\d+\.\d%\)$/m);
  });

  it('cites a model: BibTeX by default, a style as text, and a bad format refused in one line', async () => {
    const bibtex = await runCli(['cite', 'digits'], env);
    expect(bibtex.code, bibtex.stderr).toBe(0);
    expect(bibtex.stdout).toMatch(/^@misc\{[\s\S]*url = \{http:\/\/127\.0\.0\.1:\d+\/model\/digits\}/);
    const apa = await runCli(['cite', 'digits', '--version', '1', '--format', 'text', '--style', 'apa'], env);
    expect(apa.code, apa.stderr).toBe(0);
    expect(apa.stdout).toMatch(/^MLHub \(local\)\. \(\d{4}\)\. digits \(Version 1\) \[Trained machine learning model\]/);
    const refused = await runCli(['cite', 'digits', '--format', 'endnote'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/'format'.*got 'endnote'.*400 invalid_format/);
  });

  it('fails with one line and a non-zero exit', async () => {
    const missing = await runCli(['push', 'nowhere', bigBundle], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("mlhub: Model 'nowhere' does not exist (404 model_not_found)\n");
    const both = await runCli(['predict', DEMO_MODEL, '--input', '[1]', '--image', 'x.png'], env);
    expect([both.code, both.stderr]).toEqual([1, 'mlhub: Give exactly one of --input, --input-file or --image (or --dataset with --out for a whole file)\n']);
    const careful = await runCli(['rm', 'big'], env);
    expect(careful.code).toBe(1);
    expect(careful.stderr).toMatch(/^mlhub: Deleting big removes every version for good; run again with --yes/);
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    const offline = await runCli(['ls', '--url', nobody], env);
    expect([offline.code, offline.stderr]).toEqual([1, `mlhub: No MLHub answers at ${nobody}; start one with npm start, or run mlhub login --url <url>\n`]);
    const unknown = await runCli(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect((await runCli(['push', '--help'], env)).stdout).toMatch(/Usage: mlhub push \[options\] <name> <path>/);
    expect((await runCli(['rm', 'big', '--yes', '--json'], env)).code).toBe(0);
  });
});

describe('mlhub without a login, or with a token MLHub refuses', () => {
  it('says to run mlhub login, for any command, instead of the API\'s Authorization header advice', async () => {
    const nobody = { ...env, MLHUB_CONFIG: join(scratch, 'nobody.json'), MLHUB_URL: mlhub.url };
    const login = `mlhub login --local (the MLHub of npm start) or mlhub login --url ${mlhub.url} --token <token>`;
    for (const args of [['whoami'], ['ls', '--mine'], ['create', 'anon', '--type', 'onnx']]) {
      const run = await runCli(args, nobody);
      expect([run.code, run.stderr], args.join(' ')).toEqual([1, `mlhub: Not logged in: this needs a signed-in user (401 authentication_required). Log in with ${login}\n`]);
    }
    const refused = await runCli(['whoami', '--token', `mlh_${'a'.repeat(16)}_${'b'.repeat(43)}`], nobody);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^mlhub: The bearer token was refused: .* \(401 invalid_token\)\. Log in again: mlhub login --local .*; or give a valid --token or MLHUB_TOKEN\n$/);
    for (const run of [refused, await runCli(['whoami'], nobody)]) expect(run.stderr).not.toContain('Authorization: Bearer');
  });
});

describe('mlhub login --local', () => {
  it('finds the running MLHub from its data folder, whatever its port', async () => {
    const config = join(scratch, 'local-login.json');
    const login = await runCli(['login', '--local', '--user', 'grace', '--json'], { ...env, MLHUB_CONFIG: config, MLHUB_DATA_DIR: mlhub.dataDir });
    expect(login.code, login.stderr).toBe(0);
    expect(json<{ url: string }>(login.stdout).url).toBe(mlhub.url);
    expect(json<{ url: string }>(await readFile(config, 'utf8')).url).toBe(mlhub.url);
    const listed = await runCli(['ls', '--json'], { ...env, MLHUB_CONFIG: config });
    expect(listed.code, listed.stderr).toBe(0);
  });

  it('says so in one line when no MLHub runs on the data folder', async () => {
    const empty = await mkdtemp(join(scratch, 'no-runtime-'));
    const login = await runCli(['login', '--local', '--data-dir', empty], { ...env, MLHUB_CONFIG: join(scratch, 'never.json') });
    expect(login.code).toBe(1);
    expect(login.stderr).toMatch(new RegExp(`^mlhub: No local MLHub is running on the data folder ${empty} .*start one with npm start.*\n$`));
  });
});

describe('mlhub push --create', () => {
  it('removes the model it created when the bundle is refused, and says so', async () => {
    const evil = join(scratch, 'evil.tar.gz');
    await writeFile(evil, gzipSync(await makeTar([{ name: 'evil/', type: 'directory' }, { name: 'evil/../../escape.txt', content: 'x' }])));
    const push = await runCli(['push', 'created-then-refused', evil, '--create', 'onnx'], env);
    expect(push.code).toBe(1);
    // MLHub's refusal is passed on as it is, not wrapped in a second "refused".
    expect(push.stderr).toMatch(/^mlhub: The bundle was refused: Entry 'evil\/\.\.\/\.\.\/escape\.txt' /);
    expect(push.stderr.match(/(?<![-\w])refused/gi)).toHaveLength(1); // the model's own name aside
    expect(push.stderr).toMatch(/Removed the model created-then-refused that this push had created, since the push failed before any version of it was ready\n$/);
    expect(await exists('created-then-refused')).toBe(404);
  });

  it('removes the model it created when the push is interrupted with Ctrl-C', async () => {
    const sent = () => mlhub.output().split('\n').filter((line) => /^s3 PUT \S*models\/interrupted\/1\/\S*partNumber=\S* 200$/.test(line)).length;
    const push = spawnCli(['push', 'interrupted', bigBundle, '--create', 'onnx', '--parallel', '1'], env);
    let stderr = '';
    push.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => push.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (sent() < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    push.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/Removed the model interrupted that this push had created, since the push was interrupted before any version of it was ready\n$/);
    expect(await exists('interrupted')).toBe(404);
  });

  it('leaves a model that was there before alone', async () => {
    expect((await runCli(['create', 'was-there', '--type', 'onnx'], env)).code).toBe(0);
    const push = await runCli(['push', 'was-there', join(scratch, 'evil.tar.gz'), '--create', 'onnx'], env);
    expect(push.code).toBe(1);
    expect(push.stderr).not.toMatch(/Removed/);
    expect(await exists('was-there')).toBe(200);
  });
});

describe('mlhub push of a folder of links (a Hugging Face snapshot)', () => {
  /** cache/blobs/<hash> holds the bytes; cache/snapshots/<rev>/<file> links to ../../blobs/<hash>. */
  async function snapshot(extra: (snapshotDir: string) => Promise<void> = async () => undefined): Promise<{ dir: string; files: Record<string, Buffer> }> {
    const cache = await mkdtemp(join(scratch, 'hf-cache-'));
    const dir = join(cache, 'snapshots', 'mnist');
    await mkdir(join(cache, 'blobs'), { recursive: true });
    await mkdir(dir, { recursive: true });
    const files: Record<string, Buffer> = {
      'model.onnx': await readFile('models/demo/mnist/model.onnx'),
      'labels.txt': Buffer.from('0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n'),
    };
    for (const [name, bytes] of Object.entries(files)) {
      await writeFile(join(cache, 'blobs', sha(bytes)), bytes);
      await symlink(`../../blobs/${sha(bytes)}`, join(dir, name));
    }
    await extra(dir);
    return { dir, files };
  }

  it('packs the files the links point to, under the links\' names', async () => {
    const { dir, files } = await snapshot();
    const push = await runCli(['push', 'hf-snapshot', dir, '--create', 'onnx', '--json'], env);
    expect(push.code, push.stderr).toBe(0);
    const target = join(scratch, 'hf.tar.gz');
    expect((await runCli(['pull', 'hf-snapshot', '-o', target], env)).code).toBe(0);
    const entries = await tarEntries(await readFile(target));
    expect(entries.map((entry) => [entry.name, entry.type])).toEqual([['mnist/', 'directory'], ['mnist/labels.txt', 'file'], ['mnist/model.onnx', 'file']]);
    for (const entry of entries.filter((candidate) => candidate.type === 'file')) expect(sha(entry.content)).toBe(sha(files[entry.name.slice('mnist/'.length)] as Buffer));
  });

  it('refuses a dangling link, naming it and what to do, before creating anything', async () => {
    const { dir } = await snapshot((snapshotDir) => symlink('../../blobs/0000', join(snapshotDir, 'config.json')));
    const push = await runCli(['push', 'hf-dangling', dir, '--create', 'onnx'], env);
    expect(push.code).toBe(1);
    expect(push.stderr).toBe(`mlhub: ${join(dir, 'config.json')} is a link to ../../blobs/0000, which does not exist. Fetch the file it stands for (for a Hugging Face cache: download the snapshot again), or delete the link, then push again\n`);
    expect(await exists('hf-dangling')).toBe(404);
  });

  it('refuses a link to a folder that contains it, and a link that leads to itself', async () => {
    const loop = await snapshot((snapshotDir) => symlink('..', join(snapshotDir, 'up')));
    const pushLoop = await runCli(['push', 'hf-loop', loop.dir, '--create', 'onnx'], env);
    expect(pushLoop.code).toBe(1);
    expect(pushLoop.stderr).toMatch(/is a link to \.\., a folder that contains it, so packing it would never end/);
    const self = await snapshot((snapshotDir) => symlink('self', join(snapshotDir, 'self')));
    const pushSelf = await runCli(['push', 'hf-self', self.dir, '--create', 'onnx'], env);
    expect(pushSelf.code).toBe(1);
    expect(pushSelf.stderr).toMatch(/self is a link to self, which leads back to itself/);
    expect(await exists('hf-loop')).toBe(404);
    expect(await exists('hf-self')).toBe(404);
  });
});

describe('mlhub installed outside the repo', () => {
  it('runs through a link from a folder with its own (broken) tsconfig.json, as after npm link', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'mlhub-elsewhere-'));
    try {
      await writeFile(join(elsewhere, 'tsconfig.json'), '{"extends": "./missing.json", "compilerOptions": {"paths": {"commander": ["./nothing"]}}}');
      await writeFile(join(elsewhere, 'package.json'), '{"type": "commonjs"}');
      const bin = join(elsewhere, 'mlhub');
      await symlink(fileURLToPath(new URL('../../bin/mlhub.js', import.meta.url)), bin);
      const help = await runCli(['--help'], env, { cwd: elsewhere, bin });
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/^Usage: mlhub /);
      const listed = await runCli(['ls', '--mine', '--json'], env, { cwd: elsewhere, bin });
      expect(listed.code, listed.stderr).toBe(0);
      expect(Array.isArray(JSON.parse(listed.stdout))).toBe(true);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});

/** The status of GET /model/{name} as the signed-in user sees it: 404 once a model is gone. */
async function exists(name: string): Promise<number> {
  const { token } = json<{ token: string }>(await readFile(env.MLHUB_CONFIG as string, 'utf8'));
  return (await fetch(`${mlhub.url}/model/${name}`, { headers: { authorization: `Bearer ${token}` } })).status;
}

/** The entries of a .tar.gz, contents included. */
async function tarEntries(archive: Buffer): Promise<{ name: string; type: string; content: Buffer }[]> {
  const entries: { name: string; type: string; content: Buffer }[] = [];
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      entries.push({ name: header.name, type: header.type ?? 'file', content: Buffer.concat(chunks) });
      next();
    });
  });
  const done = new Promise((resolve, reject) => {
    reader.on('finish', () => resolve(undefined));
    reader.on('error', reject);
  });
  reader.end(gunzipSync(archive));
  await done;
  return entries;
}

const human = (run: { stdout: string }) => run.stdout;
