import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack, type Pack } from 'tar-stream';
import { CliError } from './cli-error';

/** What a path is once its links are followed: the file or folder the bytes come from. */
interface Resolved {
  readonly real: string;
  readonly info: Stats;
  /** The link's own text, when the path is a link. */
  readonly link?: string;
}

/**
 * Follows a path's links to what they name. A link that leads nowhere (its target is missing) or
 * in circles (ELOOP) cannot be packed; the error names the link, its target and what to do.
 */
async function followLinks(path: string): Promise<Resolved> {
  const own = await lstat(path);
  if (!own.isSymbolicLink()) return { real: await realpath(path), info: own };
  const target = await readlink(path).catch(() => '?');
  try {
    const real = await realpath(path);
    return { real, info: await stat(real), link: target };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError(`${path} is a link to ${target}, which does not exist. Fetch the file it stands for (for a Hugging Face cache: download the snapshot again), or delete the link, then push again`);
    }
    if (code === 'ELOOP') throw new CliError(`${path} is a link to ${target}, which leads back to itself. Delete the link or point it at a file, then push again`);
    throw error;
  }
}

/**
 * Packs a folder as `tar --dereference -czf <name>.tar.gz <folder>` would, streamed from disk to
 * a .tar.gz: the folder itself is the one top-level entry, as MLHub's bundle conventions expect.
 *
 * Links are followed, wherever they point, inside the folder or outside it, so a folder of links
 * into a cache (a Hugging Face snapshot: `snapshots/<rev>/model.onnx -> ../../blobs/<hash>`) packs
 * the files themselves, under the links' names. A link to a folder packs that folder's contents
 * in its place, unless that folder contains the link (it is the link's own folder or one above),
 * which would never end: that is refused, as are dangling links and anything that is not a file or a folder (sockets, FIFOs,
 * devices), each with the path and what to do.
 */
export async function packDirectory(directory: string, target: string): Promise<void> {
  const archive = pack();
  const writing = pipeline(archive, createGzip({ level: 6 }), createWriteStream(target));
  try {
    await add(archive, directory, basename(directory), new Set());
    archive.finalize();
    await writing;
  } catch (error) {
    archive.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
}

/** Adds `path` as `name`; `ancestors` holds the real paths of the folders above it, to catch loops. */
async function add(archive: Pack, path: string, name: string, ancestors: ReadonlySet<string>): Promise<void> {
  const { real, info, link } = await followLinks(path);
  if (info.isDirectory()) {
    // A link to a folder that holds the link itself (its own folder, or one above) would be packed forever.
    if (link !== undefined && [...ancestors].some((above) => above === real || above.startsWith(`${real}${sep}`))) {
      throw new CliError(`${path} is a link to ${link}, a folder that contains it, so packing it would never end. Delete the link, or replace it with a copy of what it should hold, then push again`);
    }
    archive.entry({ name: `${name}/`, type: 'directory', mode: info.mode & 0o777, mtime: info.mtime });
    const inside = new Set(ancestors).add(real);
    const entries = (await readdir(path)).sort((a, b) => a.localeCompare(b));
    for (const entry of entries) await add(archive, join(path, entry), `${name}/${entry}`, inside);
  } else if (info.isFile()) {
    const entry = archive.entry({ name, size: info.size, mode: info.mode & 0o777, mtime: info.mtime });
    await pipeline(createReadStream(real), entry);
  } else {
    throw new CliError(`${path} is neither a file nor a folder (nor a link to one); bundles hold only files and folders. Move it out of the folder, then push again`);
  }
}

export const bundleNameFor = (directory: string) => `${basename(directory)}.tar.gz`;
