import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
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
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required', MLHUB_S3_REQUEST_LOG: 'on' } });
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
    const logged = () => mlhub.output().split('\n').filter((line) => /^s3 PUT \S*models\/resumed\/1\/bundle\.tar\.gz\?\S*partNumber=/.test(line));
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

  it('fails with one line and a non-zero exit', async () => {
    const missing = await runCli(['push', 'nowhere', bigBundle], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("mlhub: Model 'nowhere' does not exist (404 model_not_found)\n");
    const both = await runCli(['predict', DEMO_MODEL, '--input', '[1]', '--image', 'x.png'], env);
    expect([both.code, both.stderr]).toEqual([1, 'mlhub: Give exactly one of --input, --input-file or --image\n']);
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

const human = (run: { stdout: string }) => run.stdout;
