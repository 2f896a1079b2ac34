import { rename, rm } from 'node:fs/promises';

/**
 * Writes `file` whole or not at all: `write` fills `<file>.part` beside it (same folder, so the
 * rename is atomic on one file system), which replaces `file` only once `write` resolves; when
 * it throws, the partial file is removed and `file` is left as it was.
 */
export async function replaceWhole<T>(file: string, write: (partial: string) => Promise<T>): Promise<T> {
  const partial = `${file}.part`;
  try {
    const result = await write(partial);
    await rename(partial, file);
    return result;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
