import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs in the child: times the import from inside, so process start-up is not counted. */
const PROBE = [
  'const started = performance.now();',
  'const loaded = await import(process.argv[1]);',
  'const importMs = performance.now() - started;',
  'process.stdout.write(JSON.stringify({ importMs, exports: Object.keys(loaded) }));',
].join('\n');

export interface FreshImport {
  /** Time spent in `import()` inside the child. */
  readonly importMs: number;
  /** Wall time of the whole child process, start-up included. */
  readonly processMs: number;
  readonly exports: readonly string[];
  readonly stderr: string;
}

export interface FreshImportOptions {
  /** NODE_OPTIONS for the child, e.g. the handlers' runtime options. */
  readonly nodeOptions?: string;
  /** NODE_PATH for the child: where Lambda would find layer packages (/opt/nodejs/node_modules). */
  readonly nodePath?: string;
  /** More environment variables for the child, e.g. Lambda's own (AWS_EXECUTION_ENV). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Imports a module in a new `node` process with an almost empty environment (like a fresh Lambda
 * sandbox before any configuration is read), and reports the timings and the module's exports.
 * Rejects when the import fails.
 */
export async function importInFreshNode(file: string, options: FreshImportOptions = {}): Promise<FreshImport> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', ...options.env };
  if (options.nodeOptions) env.NODE_OPTIONS = options.nodeOptions;
  if (options.nodePath) env.NODE_PATH = options.nodePath;
  const started = performance.now();
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', PROBE, pathToFileURL(file).href], { env, encoding: 'utf8' });
  const processMs = performance.now() - started;
  const result = JSON.parse(stdout) as { importMs: number; exports: string[] };
  return { ...result, processMs, stderr };
}
