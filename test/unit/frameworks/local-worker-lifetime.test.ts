import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalSageMaker } from '../../../local/sagemaker/control-plane';
import { standInScripts } from '../../support/deploy/stand-in-worker';

const SERVE_PY = join(import.meta.dirname, '../../../functions/frameworks/scripts/serve.py');
const PARENT = join(import.meta.dirname, '../../support/deploy/sagemaker-parent.ts');
const cleanup: string[] = [];
const started: ChildProcess[] = [];
const workers: number[] = [];

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // A worker a failed assertion left running is this test's own: stopped by its pid.
  for (const pid of workers) if (!(await gone(pid))) process.kill(pid, 'SIGKILL');
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

/** Gone, or a zombie waiting for a parent that does not reap (some containers' init): either way it runs no more. */
async function gone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Asks until the process is gone; bounded by attempts, never timed. */
async function waitGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (await gone(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Runs a local SageMaker with one endpoint in a process of its own (sagemaker-parent.ts); resolves once its worker answered. */
async function parentWithWorker(dataDir: string, scriptsDir: string, model: string): Promise<{ parent: ChildProcess; worker: number }> {
  // node itself, with tsx as a loader: the tsx command would run it in a child, and the kill would miss it.
  const parent = spawn(process.execPath, ['--import', 'tsx', PARENT], { env: { ...process.env, MLHUB_TEST_DATA_DIR: dataDir, MLHUB_TEST_SCRIPTS_DIR: scriptsDir, MLHUB_TEST_MODEL: model }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(parent);
  let stderr = '';
  parent.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    parent.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/in service 200/.test(stdout)) resolve();
    });
    parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before its endpoint was in service: ${stderr}`)));
  });
  const recorded = JSON.parse(await readFile(join(dataDir, 'workers.json'), 'utf8')) as Record<string, number>;
  const worker = recorded['ep-orphan'] as number;
  expect(worker).toBeGreaterThan(1);
  workers.push(worker);
  expect(await gone(worker)).toBe(false);
  return { parent, worker };
}

describe("a local worker's lifetime is its MLHub's", () => {
  it('serve.py exits by itself when the process that started it is killed with SIGKILL', async () => {
    // The real serve.py, serving a trivial inference.py (no framework needed).
    const scriptsDir = await mkdtemp(join(tmpdir(), 'mlhub-lifetime-scripts-'));
    const dataDir = await mkdtemp(join(tmpdir(), 'mlhub-lifetime-data-'));
    cleanup.push(scriptsDir, dataDir);
    await mkdir(join(scriptsDir, 'sklearn'));
    await mkdir(join(scriptsDir, 'mlhub_serving'));
    await copyFile(SERVE_PY, join(scriptsDir, 'serve.py'));
    await writeFile(join(scriptsDir, 'mlhub_serving', '__init__.py'), '');
    await writeFile(join(scriptsDir, 'sklearn', 'inference.py'), [
      'def model_fn(model_dir): return "loaded"',
      'def input_fn(body, content_type): return body',
      'def predict_fn(data, model): return data',
      'def output_fn(prediction, accept): return prediction, "application/json"',
      '',
    ].join('\n'));
    const { parent, worker } = await parentWithWorker(dataDir, scriptsDir, 'unused');
    parent.kill('SIGKILL');
    expect(await waitGone(worker)).toBe(true);
  });

  it('a restart stops the workers a killed run left behind, and only its own', async () => {
    // The stand-in worker does not watch its parent, as a worker still loading a model, or an older serve.py, would not.
    const scriptsDir = await standInScripts();
    const dataDir = await mkdtemp(join(tmpdir(), 'mlhub-lifetime-data-'));
    cleanup.push(scriptsDir, dataDir);
    const { parent, worker } = await parentWithWorker(dataDir, scriptsDir, '{"w": [1], "b": 0}');
    parent.kill('SIGKILL');
    await new Promise((resolve) => parent.once('exit', resolve));
    expect(await gone(worker)).toBe(false);
    // A process that is not a worker, under a recorded pid (pids are reused), is left alone.
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    started.push(stranger);
    const recorded = JSON.parse(await readFile(join(dataDir, 'workers.json'), 'utf8')) as Record<string, number>;
    await writeFile(join(dataDir, 'workers.json'), JSON.stringify({ ...recorded, 'ep-stranger': stranger.pid }));
    const lines: string[] = [];
    const restarted = new LocalSageMaker({
      directory: dataDir, region: 'us-east-1', account: '000000000000', openObject: async () => { throw new Error('not needed'); },
      python: '/usr/bin/python3', serveScript: join(scriptsDir, 'serve.py'), startTimeoutMs: 60_000, idleMs: 3_600_000, log: (line) => lines.push(line),
    });
    await restarted.open();
    restarted.close();
    expect(await waitGone(worker)).toBe(true);
    expect(lines).toContain(`[ep-orphan] stopped the worker (pid ${worker}) a previous run left behind`);
    expect(await gone(stranger.pid as number)).toBe(false);
  });
});
