import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { DeployableFramework } from './serving-path';

/** Where MLHub's framework scripts live: `<framework>/inference.py`, the shared `mlhub_serving/` package, and the local worker `serve.py`. */
export const DEFAULT_SCRIPTS_DIR = fileURLToPath(new URL('./scripts/', import.meta.url));

/** The shared package every inference.py imports; the archive holds it beside inference.py. */
export const SHARED_PACKAGE = 'mlhub_serving';

/** Python's caches are the machine's, not the source's: never shipped. */
const skipped = (name: string): boolean => name === '__pycache__' || name.endsWith('.pyc') || name.startsWith('.');

function filesUnder(root: string, folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (skipped(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(root, path));
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

/** An octal field of a ustar header, NUL-terminated. */
const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;

/** One regular file's 512-byte POSIX ustar header: mode 0644, owner 0, time 0. */
function ustarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`The script path '${name}' is longer than a tar header's 100 bytes`);
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // the checksum counts its own field as spaces
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/**
 * The source archive SageMaker's framework containers unpack from SAGEMAKER_SUBMIT_DIRECTORY (and
 * the local worker too): the framework folder's files at the top, the shared package beside them.
 * The same files always make the same bytes (sorted entries, fixed times, modes and owner; gzip
 * with no name or time), so the stack's asset hash and the local copy change only when the
 * scripts do. Synchronous, for the stack's synth. Throws when the framework has no inference.py.
 */
export function buildScriptsArchive(framework: DeployableFramework, scriptsDir: string = DEFAULT_SCRIPTS_DIR): ScriptsArchive {
  const frameworkDir = join(scriptsDir, framework);
  if (!hasScripts(framework, scriptsDir)) throw new Error(`No ${join(frameworkDir, 'inference.py')}: the ${framework} scripts are missing`);
  const sharedDir = join(scriptsDir, SHARED_PACKAGE);
  const entries: { name: string; path: string }[] = [
    ...filesUnder(frameworkDir, frameworkDir).map((name) => ({ name, path: join(frameworkDir, name) })),
    ...(existsSync(sharedDir) ? filesUnder(sharedDir, sharedDir).map((name) => ({ name: `${SHARED_PACKAGE}/${name}`, path: join(sharedDir, name) })) : []),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = readFileSync(entry.path);
    blocks.push(ustarHeader(entry.name.split(sep).join('/'), content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024)); // the end-of-archive blocks
  const bytes = gzipSync(Buffer.concat(blocks), { level: 9 });
  return { framework, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
