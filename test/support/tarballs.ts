import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

export type TarEntry = Partial<Header> & { name: string; content?: string | Buffer };

/** Builds a tar archive in memory from explicit headers, so tests can craft hostile entries. */
export async function makeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const body = content === undefined ? undefined : Buffer.isBuffer(content) ? content : Buffer.from(content);
      const callback = (error?: Error | null) => (error ? reject(error) : resolve());
      if (body === undefined) archive.entry(header, callback);
      else archive.entry({ ...header, size: body.length }, body, callback);
    });
  }
  archive.finalize();
  return done;
}

export async function makeTarGz(entries: readonly TarEntry[]): Promise<Buffer> {
  return gzipSync(await makeTar(entries));
}

/** The entries of sampleBundle. */
export function sampleEntries(folder = 'mnist'): TarEntry[] {
  return [
    { name: `${folder}/`, type: 'directory' },
    { name: `${folder}/model.onnx`, content: Buffer.from('not really onnx, but bytes') },
    { name: `${folder}/labels.txt`, content: 'zero\none\ntwo\n' },
    { name: `${folder}/params.json`, content: JSON.stringify({ img_channels: 1, img_width: 28, img_height: 28 }) },
  ];
}

/** A small valid bundle in the TFaaS layout: one folder holding the model and its sidecars. */
export function sampleBundle(folder = 'mnist', extra: readonly TarEntry[] = []): Promise<Buffer> {
  return makeTarGz([...sampleEntries(folder), ...extra]);
}

/** One tar header block with any typeflag, including ones tar-stream's packer cannot write. */
export interface RawTarEntry {
  readonly name: string;
  /** The typeflag byte as a character: '0' file, '2' symlink, 'S' GNU sparse, 'V' volume label… */
  readonly typeflag: string;
  readonly content?: string | Buffer;
  readonly linkname?: string;
  /** The size field, when it should differ from the content's length. */
  readonly size?: number;
}

const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;

function rawHeader(entry: RawTarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(entry.name, 0, 100, 'utf8');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii');
  block.write(entry.typeflag, 156, 1, 'latin1');
  if (entry.linkname) block.write(entry.linkname, 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 'latin1');
  // POSIX: the checksum is computed with its own field taken as eight spaces.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** A ustar archive written block by block, ending with the two zero blocks of end-of-archive. */
export function makeRawTar(entries: readonly RawTarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.content === undefined ? Buffer.alloc(0) : Buffer.isBuffer(entry.content) ? entry.content : Buffer.from(entry.content);
    blocks.push(rawHeader(entry, entry.size ?? body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/**
 * The files macOS adds when it archives a folder with bsdtar (`tar czf b.tar.gz ._mnist mnist`
 * puts the top-level `._mnist` beside the folder): AppleDouble `._*` files, Finder's `.DS_Store`
 * and a `__MACOSX/` folder. The AppleDouble bodies start with their real magic (0x00051607).
 */
export function macOsMetadataEntries(folder: string, files: readonly string[]): TarEntry[] {
  const appleDouble = Buffer.concat([Buffer.from([0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00]), Buffer.alloc(74)]);
  return [
    { name: `._${folder}`, content: appleDouble },
    { name: `${folder}/.DS_Store`, content: Buffer.from('Bud1\0\0\0\0') },
    ...files.map((file): TarEntry => ({ name: `${folder}/._${file}`, content: appleDouble })),
    { name: '__MACOSX/', type: 'directory' },
    { name: `__MACOSX/${folder}/`, type: 'directory' },
    { name: `__MACOSX/${folder}/._${files[0] ?? 'x'}`, content: appleDouble },
  ];
}
