import { pack as tarPack } from 'tar-stream';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  readonly name: string;
  readonly bytes?: Buffer;
  readonly type?: 'file' | 'directory' | 'symlink';
  readonly linkname?: string;
}

/** Packs entries into a tar (tar-stream: ustar, with pax headers for long names), gzipped if asked. */
export async function makeTar(entries: readonly TarEntry[], gzip = false): Promise<Buffer> {
  const pack = tarPack();
  const parts: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => parts.push(chunk as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    if (type === 'file') pack.entry({ name: entry.name, type }, entry.bytes ?? Buffer.alloc(0));
    else pack.entry({ name: entry.name, type, ...(entry.linkname ? { linkname: entry.linkname } : {}) });
  }
  pack.finalize();
  await done;
  const tar = Buffer.concat(parts);
  return gzip ? gzipSync(tar) : tar;
}
