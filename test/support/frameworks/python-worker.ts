import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startProtocolServer, type ProtocolServer, type Reply } from '../inference/protocol-server';
import { temporaryFolder } from '../inference/bundles';

/** Debian's Python, which sees python3-sklearn, python3-xgboost and python3-torch (the pyenv python3 on PATH does not). */
export const PYTHON = '/usr/bin/python3';
export const SCRIPTS = resolve('functions/frameworks/scripts');
const GENERATOR = resolve('scripts/make-framework-models.py');

const APT: Readonly<Record<string, string>> = { sklearn: 'python3-sklearn', xgboost: 'python3-xgboost', torch: 'python3-torch', joblib: 'python3-joblib', numpy: 'python3-numpy' };

/**
 * Fails (never skips) when Debian's Python or a framework module is missing, with the apt-get
 * line that installs it: CI (.ci/run) installs them.
 */
export function requirePython(modules: readonly string[]): void {
  for (const module of modules) {
    const run = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (run.status !== 0) {
      throw new Error(`${PYTHON} cannot import ${module}: install it with: sudo apt-get install -y ${APT[module] ?? `python3-${module}`}\n${run.stderr ?? String(run.error)}`);
    }
  }
}

/** Models made by scripts/make-framework-models.py in a temporary folder, with their expected outputs. */
export interface GeneratedModels {
  readonly path: string;
  expected<T = Record<string, unknown>>(name: string): Promise<T>;
  remove(): Promise<void>;
}

export async function generateModels(groups: readonly string[]): Promise<GeneratedModels> {
  const folder = await temporaryFolder('mlhub-framework-models-');
  const run = spawnSync(PYTHON, [GENERATOR, folder.path, ...groups], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (run.status !== 0) throw new Error(`make-framework-models.py failed (${run.status}): ${run.stderr}`);
  return {
    path: folder.path,
    expected: async <T>(name: string) => JSON.parse(await readFile(join(folder.path, `${name}.expected.json`), 'utf8')) as T,
    remove: folder.remove,
  };
}

export interface WorkerLogLine {
  readonly event?: string;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly [key: string]: unknown;
}

/** A running serve.py: its URL, the JSON lines it logged, and how to stop it. */
export interface Worker {
  readonly url: string;
  readonly logs: WorkerLogLine[];
  readonly stderr: string[];
  /** Sends SIGTERM and resolves with the exit code (null if a signal killed it). */
  stop(): Promise<number | null>;
}

export interface WorkerOptions {
  readonly framework: 'sklearn' | 'xgboost' | 'pytorch' | 'tensorflow';
  readonly modelDir: string;
  readonly allowPickles?: boolean;
  /** Folders put first on PYTHONPATH: fake or hiding modules. */
  readonly pythonPath?: readonly string[];
  /** As MLHub's local runtime starts it: MLHUB_PARENT_WATCH=1, with a stdin pipe held open. */
  readonly watchParent?: boolean;
}

/** Starts serve.py exactly as the seam says, on a port it picks (port 0), and waits for its "listening" line. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const child: ChildProcess = spawn(PYTHON, [join(SCRIPTS, 'serve.py')], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PYTHONDONTWRITEBYTECODE: '1',
      SAGEMAKER_PROGRAM: 'inference.py',
      SAGEMAKER_SUBMIT_DIRECTORY: join(SCRIPTS, options.framework),
      SM_MODEL_DIR: options.modelDir,
      SAGEMAKER_BIND_TO_PORT: '0',
      MLHUB_ALLOW_PICKLES: options.allowPickles ? '1' : '0',
      ...(options.pythonPath ? { PYTHONPATH: options.pythonPath.join(':') } : {}),
      ...(options.watchParent ? { MLHUB_PARENT_WATCH: '1' } : {}),
    },
    stdio: [options.watchParent ? 'pipe' : 'ignore', 'ignore', 'pipe'],
  });
  const logs: WorkerLogLine[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const port = await new Promise<number>((resolvePort, reject) => {
    let pending = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        stderr.push(line);
        try {
          const parsed = JSON.parse(line) as WorkerLogLine;
          logs.push(parsed);
          if (parsed.event === 'listening') resolvePort(Number(parsed.port));
        } catch {
          // Not one of the worker's JSON lines (a Python warning): kept in stderr only.
        }
      }
    });
    void exited.then((code) => reject(new Error(`serve.py exited (${code}) before listening:\n${stderr.join('\n')}${pending}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** One request straight to the worker. */
export async function call(worker: Worker, path: string, init: { body?: string | Buffer; contentType?: string; accept?: string } = {}): Promise<RawAnswer> {
  const response = await fetch(`${worker.url}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    ...(init.body === undefined ? {} : { body: init.body }),
    headers: { ...(init.contentType ? { 'content-type': init.contentType } : {}), ...(init.accept ? { accept: init.accept } : {}) },
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/**
 * The SageMaker runtime's InvokeEndpoint REST shape in front of a worker, as SageMaker puts it in
 * front of a container: `POST /endpoints/{name}/invocations` goes to the container's
 * `/invocations` with its Content-Type and Accept; a container error comes back as 424 ModelError
 * with the container's status and body (OriginalStatusCode, OriginalMessage).
 */
export async function sagemakerRuntimeFor(worker: Worker): Promise<{ server: ProtocolServer; client: SageMakerRuntimeClient }> {
  const server = await startProtocolServer(async (request): Promise<Reply> => {
    if (!/^\/endpoints\/[^/]+\/invocations$/.test(request.path)) return { status: 400, json: { message: 'unknown route' }, headers: { 'x-amzn-errortype': 'ValidationError' } };
    const answer = await call(worker, '/invocations', { body: request.body, contentType: String(request.headers['content-type'] ?? ''), accept: String(request.headers.accept ?? '') });
    if (answer.status !== 200) {
      return { status: 424, json: { message: `Received error (${answer.status}) from model`, OriginalStatusCode: answer.status, OriginalMessage: answer.text }, headers: { 'x-amzn-errortype': 'ModelError' } };
    }
    return { text: answer.text, headers: { 'content-type': answer.contentType } };
  });
  const client = new SageMakerRuntimeClient({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  return { server, client };
}

/** Every number within `tolerance` of the expected one, at every position of the nested arrays. */
export function closeTo(actual: unknown, expected: unknown, tolerance = 1e-5, where = 'output'): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${where}: expected ${expected.length} values, got ${JSON.stringify(actual)?.slice(0, 80)}`];
    return expected.flatMap((item, index) => closeTo(actual[index], item, tolerance, `${where}[${index}]`));
  }
  if (typeof expected === 'number') {
    return typeof actual === 'number' && Math.abs(actual - expected) <= tolerance ? [] : [`${where}: expected ${expected}, got ${String(actual)}`];
  }
  return [`${where}: expected value ${JSON.stringify(expected)} is not numeric`];
}
