import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { DeployableFramework } from './serving-path';

/** Where MLHub's framework scripts live: `<framework>/inference.py`, the shared `mlhub_serving/` package, and the local worker `serve.py`. */
export const DEFAULT_SCRIPTS_DIR = fileURLToPath(new URL('./scripts/', import.meta.url));

/** The shared package every inference.py imports; the archive holds it beside inference.py. */
export const SHARED_PACKAGE = 'mlhub_serving';

/** Python's caches are the machine's, not the source's: never shipped. */
const skipped = (name: string): boolean => name === '__pycache__' || name.endsWith('.pyc') || name.startsWith('.');

async function filesUnder(root: string, folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (skipped(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(root, path)));
    else if (entry.isFile()) found.push(relative(root, path));
  }
  return found;
}

export interface ScriptsArchive {
  readonly framework: DeployableFramework;
  /** The .tar.gz bytes: `inference.py` (and the framework folder's other files) at the top, `mlhub_serving/…` beside it. */
  readonly bytes: Buffer;
  /** SHA-256 of the bytes (hex), to name the archive by its content. */
  readonly sha256: string;
}

/** Whether `scriptsDir` holds the framework's inference.py. */
export const hasScripts = (framework: DeployableFramework, scriptsDir: string = DEFAULT_SCRIPTS_DIR): boolean =>
  existsSync(join(scriptsDir, framework, 'inference.py'));

/**
 * The source archive SageMaker's framework containers unpack from SAGEMAKER_SUBMIT_DIRECTORY (and
 * the local worker too): the framework folder's files at the top, the shared package beside them.
 * The same files always make the same bytes (sorted entries, fixed times, modes and owner), so the
 * stack's asset hash and the local copy change only when the scripts do. Throws when the
 * framework has no inference.py.
 */
export async function buildScriptsArchive(framework: DeployableFramework, scriptsDir: string = DEFAULT_SCRIPTS_DIR): Promise<ScriptsArchive> {
  const frameworkDir = join(scriptsDir, framework);
  if (!hasScripts(framework, scriptsDir)) throw new Error(`No ${join(frameworkDir, 'inference.py')}: the ${framework} scripts are missing`);
  const sharedDir = join(scriptsDir, SHARED_PACKAGE);
  const entries: { name: string; path: string }[] = [
    ...(await filesUnder(frameworkDir, frameworkDir)).map((name) => ({ name, path: join(frameworkDir, name) })),
    ...(existsSync(sharedDir) ? (await filesUnder(sharedDir, sharedDir)).map((name) => ({ name: `${SHARED_PACKAGE}/${name}`, path: join(sharedDir, name) })) : []),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  for (const entry of entries) {
    tar.entry({ name: entry.name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' }, await readFile(entry.path));
  }
  tar.finalize();
  await ended;
  // gzip's header holds no name and a zero time here, so equal tars compress to equal bytes.
  const bytes = gzipSync(Buffer.concat(chunks), { level: 9 });
  return { framework, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
