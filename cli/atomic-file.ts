import { rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';

/** Exit status of a process ended by a signal, by the shell's convention (128 + number). */
const SIGNAL_STATUS: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Writes `file` whole or not at all: `write` fills `<file>.part` beside it (same folder, so the
 * rename is atomic on one file system), which replaces `file` only once `write` resolves; when
 * it throws, the partial file is removed and `file` is left as it was.
 *
 * Ctrl-C (SIGINT) or SIGTERM meanwhile removes the partial file too, then exits 130 or 143, as
 * the signal's default action would have, but without a stray `.part`. (SIGKILL cannot be
 * caught: a `.part` it leaves is overwritten by the next run.)
 */
export async function replaceWhole<T>(file: string, write: (partial: string) => Promise<T>): Promise<T> {
  const partial = `${file}.part`;
  const onSignal = (signal: keyof typeof SIGNAL_STATUS) => {
    rmSync(partial, { force: true });
    process.exit(SIGNAL_STATUS[signal]);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await write(partial);
    await rename(partial, file);
    return result;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
