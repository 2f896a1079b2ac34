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

/** A small valid bundle in the TFaaS layout: one folder holding the model and its sidecars. */
export function sampleBundle(folder = 'mnist', extra: readonly TarEntry[] = []): Promise<Buffer> {
  return makeTarGz([
    { name: `${folder}/`, type: 'directory' },
    { name: `${folder}/model.onnx`, content: Buffer.from('not really onnx, but bytes') },
    { name: `${folder}/labels.txt`, content: 'zero\none\ntwo\n' },
    { name: `${folder}/params.json`, content: JSON.stringify({ img_channels: 1, img_width: 28, img_height: 28 }) },
    ...extra,
  ]);
}
