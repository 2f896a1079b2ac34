import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { CliError } from './cli-error';

async function* walk(directory: string): AsyncGenerator<string> {
  const entries = (await readdir(directory, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    yield path;
    if (entry.isDirectory()) yield* walk(path);
  }
}

/**
 * Packs a folder as `tar cfz <name>.tar.gz <folder>` would, streamed from disk to a .tar.gz:
 * the folder itself is the one top-level entry, as MLHub's bundle conventions expect.
 */
export async function packDirectory(directory: string, target: string): Promise<void> {
  const archive = pack();
  const root = join(directory, '..');
  const writing = pipeline(archive, createGzip({ level: 6 }), createWriteStream(target));
  const add = async (path: string): Promise<void> => {
    const info = await lstat(path);
    const name = relative(root, path).split('\\').join('/');
    if (info.isDirectory()) {
      archive.entry({ name: `${name}/`, type: 'directory', mode: info.mode & 0o777, mtime: info.mtime });
    } else if (info.isFile()) {
      const entry = archive.entry({ name, size: info.size, mode: info.mode & 0o777, mtime: info.mtime });
      await pipeline(createReadStream(path), entry);
    } else {
      throw new CliError(`${path} is neither a file nor a folder; bundles hold only files and folders`);
    }
  };
  try {
    await add(directory);
    for await (const path of walk(directory)) await add(path);
    archive.finalize();
    await writing;
  } catch (error) {
    archive.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
}

export const bundleNameFor = (directory: string) => `${basename(directory)}.tar.gz`;
