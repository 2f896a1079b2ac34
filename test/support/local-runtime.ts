import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningMlhub {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly pid: number;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
  /**
   * Seed the demo model into a new data folder, as `npm start` does by default. Off unless asked:
   * seeding takes about a second of CPU per start, and most suites make their own models.
   */
  readonly demo?: boolean;
  /** Node flags before the script (such as --cpu-prof, which NODE_OPTIONS may not carry). */
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts MLHub the way `npm start` does (tsx local/start.ts), in its own process, on a free port
 * and a scratch data folder, and reads the addresses it prints. A start that fails throws an error
 * holding all it printed, and its `exitCode` (null when it had to be killed).
 */
export async function startMlhub(options: StartOptions = {}): Promise<RunningMlhub> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mlhub-data-')));
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'local/start.ts'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', MLHUB_DATA_DIR: dataDir, MLHUB_ACCESS_LOG: 'off', MLHUB_DEMO_MODEL: options.demo ? 'on' : 'off', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));

  const deadline = Date.now() + 45_000;
  while (!/Press Ctrl-C to stop/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await closed; // everything it printed, to the last line
      throw Object.assign(new Error(`MLHub did not start:\n${output}`), { exitCode: child.exitCode });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const field = (pattern: RegExp) => {
    const value = pattern.exec(output)?.[1];
    if (!value) throw new Error(`MLHub's startup output lacks ${pattern}:\n${output}`);
    return value;
  };
  const url = field(/MLHub is running at (\S+)/);
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    dynamoEndpoint: field(/DynamoDB\s+(\S+)/),
    s3Endpoint: field(/S3\s+(\S+)/),
    pid: child.pid ?? -1,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function removeDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
}
