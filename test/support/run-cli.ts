import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliPlace {
  /** Where the user stands (default: the repo). */
  readonly cwd?: string;
  /** The command to run (default: the repo's bin/mlhub.js), e.g. a link made by `npm link`. */
  readonly bin?: string;
}

/** Starts `mlhub` as a user would run it (bin/mlhub.js), with its own config file. */
export function spawnCli(args: readonly string[], env: Record<string, string>, place: CliPlace = {}): ChildProcess {
  return spawn(process.execPath, [place.bin ?? join(repoRoot, 'bin/mlhub.js'), ...args], {
    cwd: place.cwd ?? repoRoot,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: readonly string[], env: Record<string, string>, place: CliPlace = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env, place);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
