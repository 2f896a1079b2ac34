import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';

/** The apt-get line that gives a machine the Python the workers run. */
export const PYTHON_INSTALL_LINE = 'sudo apt-get install -y python3';

export interface WorkerSpec {
  /** The endpoint's name: prefixes every log line, names the worker. */
  readonly endpoint: string;
  /** The Python that runs serve.py (/usr/bin/python3: Debian's, which sees Debian's python3-sklearn, -xgboost and -torch). */
  readonly python: string;
  /** The local worker script (functions/frameworks/scripts/serve.py). */
  readonly serveScript: string;
  /** SAGEMAKER_SUBMIT_DIRECTORY: the unpacked scripts archive (inference.py and mlhub_serving). */
  readonly codeDir: string;
  /** SM_MODEL_DIR: the unpacked bundle. */
  readonly modelDir: string;
  /** The container's Environment from CreateModel (SAGEMAKER_PROGRAM, MLHUB_ALLOW_MODEL_CODE…), less what the worker sets itself. */
  readonly environment: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
  /**
   * Marks the process as this local SageMaker's (MLHUB_LOCAL_SAGEMAKER in its environment, its
   * state folder), so a later run can tell its own leftover workers from anything else (leftover-workers.ts).
   */
  readonly owner?: string;
  /** Told the worker's process id when it starts. */
  readonly onPid?: (pid: number) => void;
  /** Told the worker's process id when it exits. */
  readonly onExit?: (pid: number) => void;
}

export type StartOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface WorkerReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** How often a starting worker's /ping is asked, while it loads its model. */
const PING_INTERVAL_MS = 100;

/** A free loopback port, for the worker to bind (SAGEMAKER_BIND_TO_PORT). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('No free loopback port');
  return address.port;
}

/** The message of a worker's JSON error ({"error": {"code", "message"}}), or its text. */
function reasonIn(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (parsed.error?.message) return parsed.error.message;
  } catch {
    // Not the contract's JSON: the text is the reason.
  }
  return body.trim() || 'the worker answered /ping with 500 and no reason';
}

/**
 * One endpoint's worker process: `python serve.py` on a loopback port of its own, serving the
 * container contract (GET /ping, POST /invocations). Never shared: each endpoint has its own, so
 * two models never share a process. Its stdout and stderr reach the log line by line, prefixed
 * with the endpoint's name.
 */
export class EndpointWorker {
  private child: ChildProcess | undefined;
  private port: number | undefined;
  private starting: Promise<StartOutcome> | undefined;
  private stderrTail: string[] = [];

  constructor(private readonly spec: WorkerSpec) {}

  /** The worker's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the worker, unless it runs, and waits until /ping answers 200 (ready) or 500 (its JSON
   * message is the reason), or the process exits (its last stderr lines are). Where `python` is
   * missing, the reason is the apt-get line that installs it.
   */
  start(timeoutMs: number): Promise<StartOutcome> {
    if (this.running && this.starting) return this.starting;
    this.starting = this.launch(timeoutMs);
    return this.starting;
  }

  private async launch(timeoutMs: number): Promise<StartOutcome> {
    try {
      await access(this.spec.python, constants.X_OK);
    } catch {
      return { ok: false, reason: `Python 3 is not installed at ${this.spec.python}, which the local workers run: ${PYTHON_INSTALL_LINE}` };
    }
    const port = await freePort();
    const child = spawn(this.spec.python, [this.spec.serveScript], {
      // The endpoint's own folder, not MLHub's: a model's relative paths land in its own files. The
      // environment is built from nothing but PATH and the container's, so no secret of MLHub's
      // (credentials, tokens) reaches a model; the process still has MLHub's file rights (README).
      cwd: dirname(this.spec.modelDir),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...this.spec.environment,
        SAGEMAKER_SUBMIT_DIRECTORY: this.spec.codeDir,
        SM_MODEL_DIR: this.spec.modelDir,
        SAGEMAKER_BIND_TO_PORT: String(port),
        PYTHONDONTWRITEBYTECODE: '1',
        // serve.py exits when its stdin reaches EOF, which the kernel gives it when this process dies however it dies (kill -9 included).
        MLHUB_PARENT_WATCH: '1',
        ...(this.spec.owner ? { MLHUB_LOCAL_SAGEMAKER: this.spec.owner } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    // Never written: only held open, for the worker to see it close.
    child.stdin?.on('error', () => undefined);
    const pid = child.pid;
    if (pid !== undefined) {
      this.spec.onPid?.(pid);
      child.once('exit', () => this.spec.onExit?.(pid));
    }
    this.port = port;
    this.stderrTail = [];
    const prefix = `[${this.spec.endpoint}]`;
    createInterface({ input: child.stdout! }).on('line', (line) => this.spec.log(`${prefix} ${line}`));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail = [...this.stderrTail.slice(-9), line];
      this.spec.log(`${prefix} ${line}`);
    });
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`the worker exited (${signal ?? `code ${code}`}) before it was ready${this.stderrTail.length ? `: ${this.stderrTail.join(' | ')}` : ''}`)));
    child.once('error', (error) => this.spec.log(`${prefix} could not start: ${error.message}`));
    const deadline = Date.now() + timeoutMs;
    let exitReason: string | undefined;
    void exited.then((reason) => (exitReason = reason));
    while (Date.now() < deadline) {
      if (exitReason) return { ok: false, reason: exitReason };
      const ping = await this.ping();
      if (ping?.status === 200) return { ok: true };
      if (ping && ping.status >= 500) {
        const reason = reasonIn(ping.body);
        this.stop();
        return { ok: false, reason };
      }
      await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS));
    }
    this.stop();
    return { ok: false, reason: `the worker did not answer /ping with 200 within ${Math.round(timeoutMs / 1000)} s` };
  }

  private async ping(): Promise<{ status: number; body: string } | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/ping`, { signal: AbortSignal.timeout(5000) });
      return { status: response.status, body: await response.text() };
    } catch {
      return undefined; // not listening yet
    }
  }

  /** POST /invocations with SageMaker's Content-Type and Accept; the worker's answer as it gave it. */
  async invoke(body: Buffer, contentType: string, accept: string): Promise<WorkerReply> {
    const response = await fetch(`http://127.0.0.1:${this.port}/invocations`, {
      method: 'POST',
      headers: { 'content-type': contentType, accept },
      body,
    });
    return { status: response.status, contentType: response.headers.get('content-type') ?? 'application/json', body: Buffer.from(await response.arrayBuffer()) };
  }

  /** SIGTERM (the contract's way to stop it); a no-op when it is not running. */
  stop(): void {
    if (this.running) this.child?.kill('SIGTERM');
    this.starting = undefined;
  }
}
