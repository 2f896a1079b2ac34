import { rename, rm, writeFile } from 'node:fs/promises';

let written = 0;

/**
 * Writes `text` to `path` so that a reader, or the next start after a kill -9, finds either the
 * file as it was or the whole new text, never a torn one: the text goes to a file of its own
 * beside it (`<path>.<pid>.<n>.tmp`, so concurrent writes never share one), which then replaces
 * `path` with rename(2), atomic within a file system (POSIX).
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  written += 1;
  const next = `${path}.${process.pid}.${written}.tmp`;
  try {
    await writeFile(next, text);
    await rename(next, path);
  } catch (error) {
    await rm(next, { force: true });
    throw error;
  }
}
