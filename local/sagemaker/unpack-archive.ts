import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { normaliseEntryName, unsafePathReason } from '../../functions/bundles/archive-paths';

/**
 * Unpacks a .tar.gz into `folder` (emptied first), as SageMaker unpacks ModelDataUrl into
 * /opt/ml/model and a framework container its SAGEMAKER_SUBMIT_DIRECTORY: files and folders only,
 * each kept inside `folder` (absolute and `..` paths refused, as the bundle check refuses them);
 * links are skipped and named to `skippedLink`. Throws with the entry's name for a path that could escape.
 */
export async function unpackArchive(source: Readable, folder: string, skippedLink?: (name: string) => void): Promise<void> {
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const tar = extract();
  const flowing = pipeline(source, createGunzip(), tar);
  flowing.catch(() => undefined);
  for await (const entry of tar) {
    const path = normaliseEntryName(entry.header.name);
    const unsafe = unsafePathReason(path);
    if (unsafe) {
      tar.destroy();
      throw new Error(`The archive's entry '${entry.header.name}' ${unsafe}`);
    }
    const target = join(folder, path);
    if (entry.header.type === 'directory') {
      await mkdir(target, { recursive: true });
      entry.resume();
    } else if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
      await mkdir(dirname(target), { recursive: true });
      await pipeline(entry, createWriteStream(target, { mode: 0o644 }));
    } else {
      if (entry.header.type === 'symlink' || entry.header.type === 'link') skippedLink?.(path);
      entry.resume();
    }
  }
  await flowing;
}
