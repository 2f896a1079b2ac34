import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE_LIMITS } from '../../functions/bundles/bundle-limits';
import { inspectBundle } from '../../functions/bundles/inspect-bundle';
import { makeTar, makeTarGz, sampleBundle } from '../support/tarballs';

const inspect = (bytes: Buffer, limits = DEFAULT_BUNDLE_LIMITS) => inspectBundle(Readable.from([bytes]), limits);

/** Feeds the bytes in small chunks, as a network stream would. */
const inspectChunked = (bytes: Buffer) => {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
  return inspectBundle(Readable.from(chunks), DEFAULT_BUNDLE_LIMITS);
};

describe('inspectBundle', () => {
  it('hashes the compressed bytes and reads the TFaaS layout', async () => {
    const bytes = await sampleBundle('mnist');
    const result = await inspectChunked(bytes);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.size).toBe(bytes.length);
    expect(result.manifest.root).toBe('mnist');
    expect(result.manifest.framework).toBe('ONNX');
    expect(result.manifest.labels).toEqual(['zero', 'one', 'two']);
    expect(result.manifest.params).toEqual({ img_channels: 1, img_width: 28, img_height: 28 });
    expect(result.manifest.files.map((file) => file.path).sort()).toEqual(['labels.txt', 'model.onnx', 'params.json']);
    expect(result.manifest.fileCount).toBe(3);
  });

  it('reads a bundle whose files sit at the top level', async () => {
    const bytes = await makeTarGz([{ name: 'model.pt', content: 'x' }, { name: 'labels.txt', content: 'cat\ndog' }]);
    const { manifest } = await inspect(bytes);
    expect(manifest.root).toBe('');
    expect(manifest.framework).toBe('PyTorch');
    expect(manifest.labels).toEqual(['cat', 'dog']);
  });

  it('accepts symlinks that stay inside the bundle', async () => {
    const bytes = await makeTarGz([
      { name: 'm/', type: 'directory' },
      { name: 'm/weights.onnx', content: 'w' },
      { name: 'm/model.onnx', type: 'symlink', linkname: 'weights.onnx' },
    ]);
    await expect(inspect(bytes)).resolves.toBeDefined();
  });

  it.each([
    ['a ../ entry', [{ name: '../evil.sh', content: 'x' }], /contains '\.\.'/],
    ['a nested .. entry', [{ name: 'm/../../evil', content: 'x' }], /contains '\.\.'/],
    ['an absolute path', [{ name: '/etc/passwd', content: 'x' }], /absolute path/],
    ['a symlink out', [{ name: 'link', type: 'symlink' as const, linkname: '../../etc/shadow' }], /points outside/],
    ['an absolute symlink', [{ name: 'link', type: 'symlink' as const, linkname: '/etc/shadow' }], /points outside/],
    ['a hard link out', [{ name: 'link', type: 'link' as const, linkname: '../x' }], /points outside/],
    ['a character device', [{ name: 'tty', type: 'character-device' as const }], /character-device/],
    ['a fifo', [{ name: 'pipe', type: 'fifo' as const }], /fifo/],
  ])('rejects %s', async (_label, entries, message) => {
    await expect(inspect(await makeTarGz(entries))).rejects.toThrow(message);
  });

  it('rejects more entries than the limit', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    await expect(inspect(await makeTarGz(entries), { maxEntries: 5, maxUnpackedBytes: 1e9 })).rejects.toThrow(/more than 5 entries/);
  });

  it('rejects a bundle that unpacks past the limit (tar bomb)', async () => {
    const bomb = await makeTarGz([{ name: 'zeros.bin', content: Buffer.alloc(2 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(10_000);
    await expect(inspect(bomb, { maxEntries: 10, maxUnpackedBytes: 1024 * 1024 })).rejects.toThrow(/unpacks to more than 1048576 bytes/);
  });

  it('tells an uncompressed tar from other non-gzip bytes', async () => {
    await expect(inspect(await makeTar([{ name: 'a', content: 'x' }]))).rejects.toThrow(/uncompressed tar; gzip it/);
    await expect(inspect(Buffer.from('PK\u0003\u0004 zip file'))).rejects.toThrow(/not gzip-compressed/);
  });

  it('rejects gzip that is not a tar', async () => {
    await expect(inspect(gzipSync(Buffer.from('just some text, not a tar archive at all')))).rejects.toThrow(/not a valid tar archive/);
  });

  it('rejects a truncated gzip stream', async () => {
    const bytes = await sampleBundle();
    await expect(inspect(bytes.subarray(0, bytes.length - 20))).rejects.toThrow(/not a valid gzip stream/);
  });

  it('rejects an archive with no files', async () => {
    await expect(inspect(await makeTarGz([{ name: 'empty/', type: 'directory' }]))).rejects.toThrow(/holds no files/);
  });

  it('rejects params.json that is not a JSON object', async () => {
    await expect(inspect(await makeTarGz([{ name: 'params.json', content: '[1,2' }]))).rejects.toThrow(/params.json is not valid JSON/);
  });
});
