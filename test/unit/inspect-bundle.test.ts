import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { servingPath } from '../../functions/frameworks/serving-path';
import { DEFAULT_BUNDLE_LIMITS } from '../../functions/bundles/bundle-limits';
import { MANIFEST_FILE_LIST_LIMIT } from '../../functions/bundles/bundle-manifest';
import { inspectBundle } from '../../functions/bundles/inspect-bundle';
import { readModelParams } from '../../functions/inference/model-params';
import { onnxModelFiles } from '../../functions/inference/onnx/onnx-model-file';
import { macOsMetadataEntries, makeRawTar, makeTar, makeTarGz, sampleBundle, sampleEntries, type TarEntry } from '../support/tarballs';

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

  it('names an XGBoost booster (UBJ, or JSON that starts as a booster) after every other framework', async () => {
    const BOOSTER = '{"learner":{"attributes":{},"objective":{"name":"multi:softprob"}},"version":[1,7,4]}';
    const content = (name: string) => (name.endsWith('.json') && !['params.json', 'config.json', 'metrics.json'].includes(name) ? BOOSTER : '{}');
    const framework = async (...names: string[]) => (await inspect(await makeTarGz(names.map((name) => ({ name, content: content(name) }))))).manifest.framework;
    expect(await framework('model.ubj', 'labels.txt')).toBe('XGBoost');
    expect(await framework('booster.json', 'params.json')).toBe('XGBoost');
    expect(await framework('params.json', 'config.json', 'labels.txt')).toBeUndefined();
    expect(await framework('model.joblib', 'model.json')).toBe('ScikitLearn');
    expect(await framework('model.onnx', 'model.json')).toBe('ONNX');
  });

  it('takes a .json for a booster only when its first bytes are one: metrics.json beside a model is a sidecar (review 14b finding 9)', async () => {
    const booster = ' {\n "learner" : {"objective": {"name": "reg:squarederror"}}, "version": [1, 7, 4]}';
    const { manifest } = await inspect(await makeTarGz([{ name: 'm/model.json', content: booster }, { name: 'm/metrics.json', content: '{"a": 1}' }, { name: 'm/trainer_state.json', content: '{"learner": "no"}'.replace('{"learner"', '[{"learner"') + ']' }]));
    expect(manifest.boosterJson).toEqual(['model.json']);
    expect(manifest.framework).toBe('XGBoost');
    const cnn = await inspect(await makeTarGz([{ name: 'model.pt', content: 'x' }, { name: 'metrics.json', content: '{"a": 1}' }, { name: 'vocab.json', content: '{"the": 1}' }]));
    expect(cnn.manifest.framework).toBe('PyTorch');
    expect(cnn.manifest.boosterJson).toEqual([]);
  });

  it('marks a top-level code folder, where SageMaker containers run the uploader\'s own Python, and nothing deploys it (review 14c finding 2)', async () => {
    const withCode = async (...names: string[]) => (await inspect(await makeTarGz(names.map((name) => ({ name, content: name.endsWith('/') ? undefined : 'x', type: name.endsWith('/') ? 'directory' as const : undefined }))))).manifest;
    for (const manifest of [
      await withCode('model.pt', 'code/inference.py'),
      await withCode('model.joblib', 'code/requirements.txt'),
      await withCode('code/', 'code/model.pt'),
    ]) {
      expect(manifest.containerCodeDir).toBe(true);
      expect(servingPath(manifest)).toMatchObject({ path: 'none', reason: expect.stringMatching(/top level holds a 'code' folder/) });
    }
    // Under the bundle's own folder it is just a folder: SageMaker unpacks the archive as /opt/ml/model.
    const nested = await withCode('cnn/', 'cnn/model.joblib', 'cnn/code/notes.txt');
    expect(nested.root).toBe('cnn');
    expect(nested.containerCodeDir).toBeUndefined();
    expect(servingPath(nested)).toMatchObject({ path: 'deployable', framework: 'sklearn' });
  });

  it('accepts symlinks that stay inside the bundle', async () => {
    const bytes = await makeTarGz([
      { name: 'm/', type: 'directory' },
      { name: 'm/weights.onnx', content: 'w' },
      { name: 'm/model.onnx', type: 'symlink', linkname: 'weights.onnx' },
    ]);
    await expect(inspect(bytes)).resolves.toBeDefined();
  });

  it('counts every inflated byte as unpacked, tar headers and padding included', async () => {
    const bytes = await sampleBundle();
    expect((await inspect(bytes)).manifest.unpackedBytes).toBe(gunzipSync(bytes).length);
  });

  it.each([
    ['a ../ entry', [{ name: '../evil.sh', content: 'x' }], /contains '\.\.'/],
    ['a nested .. entry', [{ name: 'm/../../evil', content: 'x' }], /contains '\.\.'/],
    ['an absolute path', [{ name: '/etc/passwd', content: 'x' }], /absolute path/],
    ['a symlink out', [{ name: 'link', type: 'symlink' as const, linkname: '../../etc/shadow' }], /points outside/],
    ['an absolute symlink', [{ name: 'link', type: 'symlink' as const, linkname: '/etc/shadow' }], /points outside/],
    ['a hard link out', [{ name: 'link', type: 'link' as const, linkname: '../x' }], /hard link whose target contains '\.\.'/],
  ])('rejects %s', async (_label, entries, message) => {
    await expect(inspect(await makeTarGz(entries))).rejects.toThrow(message);
  });

  it('rejects more entries than the limit', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    await expect(inspect(await makeTarGz(entries), { maxEntries: 5, maxUnpackedBytes: 1e9 })).rejects.toThrow(/more than 5 entries/);
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

const MiB = 1024 * 1024;
const small = { maxEntries: 100, maxUnpackedBytes: MiB };
const dir = (name: string): TarEntry => ({ name, type: 'directory' });
const file = (name: string, content = 'x'): TarEntry => ({ name, content });
const symlink = (name: string, linkname: string): TarEntry => ({ name, type: 'symlink', linkname });
const hardLink = (name: string, linkname: string): TarEntry => ({ name, type: 'link', linkname });

describe('inspectBundle: links are resolved against the archive itself', () => {
  it.each([
    ['a link to a file beside it', [dir('m/'), file('m/weights.onnx'), symlink('m/model.onnx', 'weights.onnx')]],
    ['a link to the top folder', [file('f'), symlink('d', '.')]],
    ['a link through a link that stays inside', [dir('m/'), file('m/f'), symlink('b', 'm'), symlink('a', 'b/f')]],
    // Lexically b/../.. leaves the folder; followed as the kernel does, b is c/d and it does not.
    ['.. out of a link that points deeper', [file('f'), symlink('b', 'c/d'), symlink('a', 'b/../..')]],
    ['a dangling link inside', [file('f'), symlink('l', 'not/there')]],
    ['a hard link to an earlier file', [dir('m/'), file('m/a'), hardLink('m/b', 'm/a')]],
    ['a hard link to a hard link', [file('a'), hardLink('b', 'a'), hardLink('c', 'b')]],
    ['a folder repeated', [dir('m/'), file('m/a'), dir('m/')]],
  ])('accepts %s', async (_label, entries) => {
    await expect(inspect(await makeTarGz(entries))).resolves.toBeDefined();
  });

  it.each([
    ['the chain d -> ., then d/l -> ..', [symlink('d', '.'), symlink('d/l', '..')], /Entry 'd\/l' would be written through the symlink 'd'/],
    ['a file written through a link', [dir('m/'), symlink('m/out', '.'), file('m/out/f')], /would be written through the symlink 'm\/out'/],
    ['a write through a link spelled ./d//l', [symlink('d', '.'), file('./d//l')], /written through the symlink 'd'/],
    ['a write through a link spelled in another case', [symlink('D', '.'), symlink('d/l', '..')], /written through the symlink 'D'/],
    ['.. out of a link to the top (l -> d/.., d -> .)', [file('f'), symlink('d', '.'), symlink('l', 'd/..')], /Entry 'l' is a symlink that points outside the bundle \(d\/\.\./],
    ['.. out of a link to a link to the top', [symlink('a', '.'), symlink('b', 'a'), symlink('m/c', '../b/..')], /Entry 'm\/c' is a symlink that points outside/],
    ['an earlier link that a later link sends out', [file('f'), symlink('l', 'x/..'), symlink('x', '.')], /Entry 'l' is a symlink that points outside/],
    ['a link deep inside that climbs out', [dir('a/'), dir('a/b/'), symlink('a/b/l', '../../..')], /points outside/],
    ['a loop of links', [file('f'), symlink('a', 'b/x'), symlink('b', 'a/y')], /leads through more than 40 links/],
    ['a symlink with an empty target', [file('f'), symlink('l', '')], /empty target/],
    ['a symlink target with a backslash', [file('f'), symlink('l', '..\\..\\x')], /backslash/],
    ['an absolute hard link', [file('f'), hardLink('h', '/etc/passwd')], /hard link whose target is an absolute path/],
    ['a hard link to a symlink', [dir('m/'), file('f'), symlink('m/s', '../f'), hardLink('h', 'm/s')], /hard link to 'm\/s', which is not an earlier file/],
    ['a hard link to a folder', [dir('m/'), file('m/f'), hardLink('h', 'm')], /hard link to 'm', which is not an earlier file/],
    ['a hard link to a later file', [hardLink('h', 'f'), file('f')], /hard link to 'f', which is not an earlier file/],
    ['a folder replaced by a link', [dir('d/'), file('d/f'), symlink('d', '..')], /Entry 'd' appears twice/],
    ['an implied folder replaced by a link', [file('d/f'), symlink('d', '.'), symlink('d/l', '..')], /Entry 'd' appears twice/],
    ['a link replaced by a folder', [symlink('d', '.'), dir('d/')], /appears twice/],
    ['a file named twice', [file('params.json', '{}'), file('params.json', '{"model":"x"}')], /Entry 'params.json' appears twice/],
    ['a link and a folder that differ only in case', [dir('m/'), file('m/f'), symlink('M', '.')], /same path on case-insensitive file systems/],
    ['an entry under a file', [file('f'), file('f/g')], /sits under 'f', which is not a folder/],
    ['the top folder as a link', [symlink('./', '..'), file('f')], /would replace the folder the bundle unpacks into/],
  ])('refuses %s', async (_label, entries, message) => {
    await expect(inspect(await makeTarGz(entries))).rejects.toThrow(message);
  });
});

describe('inspectBundle: the cost of the link checks stays bounded', () => {
  it('checks thousands of entries at PATH_MAX depth, and links that climb all of it, in seconds', async () => {
    const deep = Array.from({ length: 2000 }, () => 'a').join('/');
    const climb = `${'../'.repeat(1999)}top`;
    const entries: TarEntry[] = [file('top')];
    for (let i = 0; i < 1500; i += 1) entries.push(file(`${deep.slice(0, 4000 - 8)}/f${i}`), symlink(`${deep.slice(0, 3990)}/l${i}`, climb.slice(0, 3000)));
    const bytes = await makeTarGz(entries);
    const started = Date.now();
    await expect(inspect(bytes, { maxEntries: 10_000, maxUnpackedBytes: 1024 * MiB })).resolves.toBeDefined();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses paths that imply more folders than the tree may hold', async () => {
    const deep = Array.from({ length: 2000 }, () => 'a').join('/');
    const entries = Array.from({ length: 101 }, (_, i) => file(`x${i}/${deep}/f`));
    await expect(inspect(await makeTarGz(entries))).rejects.toThrow(/more than 200000 files and folders/);
  });

  it('refuses paths and link targets longer than PATH_MAX', async () => {
    await expect(inspect(await makeTarGz([file(`${'d/'.repeat(2100)}f`)]))).rejects.toThrow(/has a path longer than 4096 bytes/);
    await expect(inspect(await makeTarGz([file('f'), symlink('l', `${'./'.repeat(2100)}f`)]))).rejects.toThrow(/target is longer than 4096 bytes/);
  });

  it('follows a chain of 40 links, and refuses 41', async () => {
    const chain = (length: number) => [file('f'), ...Array.from({ length }, (_, i) => symlink(`l${i}`, i === length - 1 ? 'f' : `l${i + 1}`))];
    await expect(inspect(await makeTarGz(chain(40)))).resolves.toBeDefined();
    await expect(inspect(await makeTarGz(chain(41)))).rejects.toThrow(/leads through more than 40 links/);
  });
});

describe('inspectBundle: decompression bombs', () => {
  it('counts data after the tar end-of-archive blocks', async () => {
    const tar = Buffer.concat([await makeTar([file('model.onnx')]), Buffer.alloc(4 * MiB)]);
    const bomb = gzipSync(tar);
    expect(bomb.length).toBeLessThan(10_000);
    await expect(inspect(bomb, small)).rejects.toThrow(/unpacks to more than 1048576 bytes/);
    expect((await inspect(bomb)).manifest.unpackedBytes).toBe(tar.length);
  });

  it('counts every member of a concatenated gzip stream', async () => {
    const tar = await makeTar([file('model.onnx')]);
    const bomb = Buffer.concat([gzipSync(tar), gzipSync(Buffer.alloc(2 * MiB)), gzipSync(Buffer.alloc(MiB))]);
    await expect(inspect(bomb, small)).rejects.toThrow(/unpacks to more than 1048576 bytes/);
    expect((await inspect(bomb)).manifest.unpackedBytes).toBe(tar.length + 3 * MiB);
  });

  it('counts one file that inflates past the limit', async () => {
    const bomb = await makeTarGz([{ name: 'zeros.bin', content: Buffer.alloc(2 * MiB) }]);
    await expect(inspect(bomb, small)).rejects.toThrow(/unpacks to more than 1048576 bytes/);
  });

  it('stops reading as soon as the limit is passed', async () => {
    const head = gzipSync(await makeTar([file('model.onnx')]));
    const zeros = gzipSync(Buffer.alloc(MiB));
    let served = 0;
    // 10 GiB once inflated; only a few of its members may be read.
    async function* endless() {
      yield head;
      for (let i = 0; i < 10_240; i += 1) {
        served += 1;
        yield zeros;
      }
    }
    await expect(inspectBundle(Readable.from(endless()), { maxEntries: 10, maxUnpackedBytes: 8 * MiB })).rejects.toThrow(/unpacks to more than/);
    expect(served).toBeLessThan(64);
  });
});

describe('inspectBundle: what tar x unpacks is what the check read', () => {
  const after = /Entry 'hidden.onnx' comes after the tar's end-of-archive blocks/;

  it('refuses entries after the end-of-archive of a first tar (cat a.tar b.tar | gzip)', async () => {
    const joined = Buffer.concat([await makeTar([file('model.pt')]), await makeTar([file('hidden.onnx')])]);
    await expect(inspect(gzipSync(joined))).rejects.toThrow(after);
  });

  it('refuses a second tar in a second gzip member', async () => {
    const members = Buffer.concat([await makeTarGz([file('model.pt')]), await makeTarGz([file('hidden.onnx')])]);
    await expect(inspect(members)).rejects.toThrow(after);
  });

  it('refuses an entry after a lone zero block, and one before any header', async () => {
    const first = makeRawTar([{ name: 'model.pt', typeflag: '0', content: 'w' }]).subarray(0, 1024);
    const hidden = makeRawTar([{ name: 'hidden.onnx', typeflag: '0', content: 'w' }]);
    await expect(inspect(gzipSync(Buffer.concat([first, Buffer.alloc(512), hidden])))).rejects.toThrow(after);
    await expect(inspect(gzipSync(Buffer.concat([Buffer.alloc(512), hidden])))).rejects.toThrow(after);
  });

  it.each([
    ['random bytes', randomBytes(4096)],
    ['fewer random bytes than a block', randomBytes(100)],
    ['the first half of another tar header', makeRawTar([{ name: 'hidden.onnx', typeflag: '0', content: 'w' }]).subarray(0, 300)],
  ])('names %s after the end-of-archive as data after it, not as a bad header', async (_label, trailer) => {
    const tar = await makeTar([file('model.pt')]);
    const refusal = inspect(gzipSync(Buffer.concat([tar, trailer])));
    await expect(refusal).rejects.toThrow(/^The bundle holds data after the tar's end-of-archive blocks, where tar stops reading; upload one archive with nothing after it/);
  });

  it('still calls a tar cut short in its end-of-archive blocks, or a bad header, not a valid tar', async () => {
    const header = makeRawTar([{ name: 'model.pt', typeflag: '0', content: 'w' }]).subarray(0, 1024);
    await expect(inspect(gzipSync(Buffer.concat([header, Buffer.alloc(700)])))).rejects.toThrow(/not a valid tar archive/);
    await expect(inspect(gzipSync(Buffer.concat([header, randomBytes(512)])))).rejects.toThrow(/not a valid tar archive/);
  });

  it('accepts entries that follow large files and pax headers without a gap', async () => {
    const bytes = await makeTarGz([
      { name: 'big.bin', content: Buffer.alloc(3 * MiB + 7, 1) },
      { name: `m/${'long-name-'.repeat(20)}/model.onnx`, content: 'w' },
      { name: 'l', type: 'symlink', linkname: 'big.bin', pax: { comment: 'x'.repeat(2000) } },
      file('after.txt'),
    ]);
    await expect(inspect(bytes)).resolves.toBeDefined();
  });
});

describe('inspectBundle: only the allow-listed entry types pass', () => {
  const withFile = (...raw: Parameters<typeof makeRawTar>[0]) => gzipSync(makeRawTar([{ name: 'model.onnx', typeflag: '0', content: 'w' }, ...raw]));

  it.each([
    ['GNU sparse (S)', 'S', /Entry 'weights.bin' is a GNU sparse file \(tar type 'S'\), which MLHub does not accept/],
    ['a GNU volume label (V)', 'V', /Entry 'weights.bin' is a GNU volume label \(tar type 'V'\), which MLHub does not accept/],
    ['a GNU dump directory (D)', 'D', /is a GNU dump directory \(tar type 'D'\)/],
    ['a GNU multi-volume continuation (M)', 'M', /is a GNU multi-volume continuation \(tar type 'M'\)/],
    ['a Solaris extended header (X)', 'X', /is a Solaris extended header \(tar type 'X'\)/],
    ['a vendor type (A)', 'A', /Entry 'weights.bin' is of tar type 'A', which MLHub does not accept/],
    ['a control byte as type', '\u0001', /is of tar type '\\x01', which MLHub does not accept/],
    ['a contiguous file (7)', '7', /Entry 'weights.bin' is a contiguous file \(tar type '7'\)/],
    ['a character device (3)', '3', /Entry 'weights.bin' is a character device \(tar type '3'\)/],
    ['a block device (4)', '4', /Entry 'weights.bin' is a block device \(tar type '4'\)/],
    ['a FIFO (6)', '6', /Entry 'weights.bin' is a FIFO \(tar type '6'\)/],
  ])('refuses %s', async (_label, typeflag, message) => {
    await expect(inspect(withFile({ name: 'weights.bin', typeflag, content: 'data' }))).rejects.toThrow(message);
  });

  it('names the type of an unknown entry deep in a large archive, read in small chunks', async () => {
    const tar = makeRawTar([
      { name: 'big.bin', typeflag: '0', content: randomBytes(3 * MiB) },
      { name: 'after/sparse.bin', typeflag: 'S', content: 'data' },
    ]);
    const chunks: Buffer[] = [];
    const gz = gzipSync(tar);
    for (let i = 0; i < gz.length; i += 1000) chunks.push(gz.subarray(i, i + 1000));
    await expect(inspectBundle(Readable.from(chunks), DEFAULT_BUNDLE_LIMITS)).rejects.toThrow(/Entry 'after\/sparse.bin' is a GNU sparse file \(tar type 'S'\)/);
  });

  it('refuses a PAX-format GNU sparse file, which looks like a regular file', async () => {
    const bytes = await makeTarGz([{ name: 'GNUSparseFile.0/weights.bin', content: 'x', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'weights.bin' } }]);
    await expect(inspect(bytes)).rejects.toThrow(/is a GNU sparse file \(pax key GNU\.sparse\.major\)/);
  });

  it.each([
    ['a folder', '5', 'dir/'],
    ['a symlink', '2', 'link'],
  ])('refuses %s that claims data, which readers could disagree on', async (label, typeflag, name) => {
    const bytes = withFile({ name, typeflag, content: Buffer.alloc(512, 1), linkname: 'model.onnx' });
    await expect(inspect(bytes)).rejects.toThrow(new RegExp(`is a ${label === 'a folder' ? 'directory' : 'symlink'} that claims 512 bytes`));
  });

  it('reads GNU long names and pax paths, and checks the name they give', async () => {
    const long = `m/${'a'.repeat(150)}/model.onnx`;
    const gnu = gzipSync(makeRawTar([{ name: '././@LongLink', typeflag: 'L', content: `${long}\0` }, { name: 'short', typeflag: '0', content: 'w' }]));
    expect((await inspect(gnu)).manifest.files).toEqual([{ path: long.slice(2), size: 1 }]);
    const escaping = gzipSync(makeRawTar([{ name: '././@LongLink', typeflag: 'L', content: `m/${'a'.repeat(150)}/../../../x\0` }, { name: 'short', typeflag: '0', content: 'w' }]));
    await expect(inspect(escaping)).rejects.toThrow(/contains '\.\.'/);
    const pax = await makeTarGz([{ name: 'short', content: 'w', pax: { path: '../evil' } }]);
    await expect(inspect(pax)).rejects.toThrow(/Entry '\.\.\/evil' contains '\.\.'/);
  });
});

describe('inspectBundle: archives made on macOS', () => {
  const files = ['model.onnx', 'labels.txt', 'params.json'];

  it('ignores ._* AppleDouble files, __MACOSX/ and .DS_Store when finding the root, model, labels and params', async () => {
    const [top, ...rest] = macOsMetadataEntries('mnist', files);
    const bytes = await sampleBundle('mnist', rest);
    const withTopFirst = await makeTarGz([top!, ...sampleEntries('mnist'), ...rest]);
    for (const bundle of [bytes, withTopFirst]) {
      const { manifest } = await inspect(bundle);
      expect(manifest.root).toBe('mnist');
      expect(manifest.labels).toEqual(['zero', 'one', 'two']);
      expect(manifest.params).toEqual({ img_channels: 1, img_width: 28, img_height: 28 });
      expect(manifest.files.map((f) => f.path).sort()).toEqual(['labels.txt', 'model.onnx', 'params.json']);
      expect(manifest.builtinRuntime).toEqual({ runnable: true, modelFiles: ['model.onnx'] });
    }
  });

  it('lets params.json "model" pick among several .onnx files inside the root', async () => {
    const bytes = await makeTarGz([
      ...macOsMetadataEntries('m', ['a.onnx', 'b.onnx']).slice(0, 1),
      dir('m/'), file('m/a.onnx'), file('m/b.onnx'), file('m/._b.onnx'), file('m/params.json', '{"model": "b.onnx"}'),
    ]);
    expect((await inspect(bytes)).manifest.builtinRuntime).toEqual({ runnable: true, modelFiles: ['b.onnx'] });
  });

  it('finds the root of a folder archived without its own entry', async () => {
    const { manifest } = await inspect(await makeTarGz([file('._m'), file('m/model.onnx'), file('m/labels.txt', 'a\nb')]));
    expect(manifest.root).toBe('m');
    expect(manifest.labels).toEqual(['a', 'b']);
  });

  it('still checks macOS metadata entries like any other', async () => {
    await expect(inspect(await makeTarGz([file('m/model.onnx'), symlink('m/._model.onnx', '../..')]))).rejects.toThrow(/points outside/);
  });
});

describe('inspectBundle: whether the built-in runtime can run the bundle', () => {
  const verdictOf = async (entries: TarEntry[]) => (await inspect(await makeTarGz(entries))).manifest.builtinRuntime;

  it('names the model file and its external data', async () => {
    expect(await verdictOf([dir('m/'), file('m/model.onnx'), file('m/model.onnx_data'), file('m/notes.txt')])).toEqual({ runnable: true, modelFiles: ['model.onnx', 'model.onnx_data'] });
  });

  it.each([
    ['no .onnx file', [file('model.pt')], /cannot run this bundle: it holds no \.onnx file\./],
    ['two candidate model files', [file('a.onnx'), file('b.onnx')], /cannot run this bundle: the bundle holds several \.onnx files \(a\.onnx, b\.onnx\); name the one to run as "model" in its params\.json/],
    ['params.json naming a missing file', [file('model.onnx'), file('params.json', '{"model": "other.onnx"}')], /params\.json names "model": "other\.onnx", which the bundle does not hold/],
    ['params.json the runtime cannot use', [file('model.onnx'), file('params.json', '{"img_channels": 2}')], /params\.json needs "img_channels" to be 1, 3 or 4/],
    ['a model file that is a symlink (tar czf of a Hugging Face snapshot)', [dir('m/'), file('m/real.bin'), symlink('m/model.onnx', 'real.bin')],
      /cannot run this bundle: model\.onnx is a symbolic link; the built-in runtime reads regular files only: archive with tar --dereference \(or mlhub push, which follows links\)\./],
    ['params.json naming a hard link', [file('w.onnx'), hardLink('m.onnx', 'w.onnx'), file('params.json', '{"model": "m.onnx"}')],
      /cannot run this bundle: m\.onnx is a hard link; the built-in runtime reads regular files only: archive with tar --hard-dereference/],
  ])('is not runnable, with the reason, for %s; the bundle is still accepted', async (_label, entries, reason) => {
    const verdict = await verdictOf(entries);
    expect(verdict).toEqual({ runnable: false, reason: expect.stringMatching(reason) });
    // The verdict is about the built-in runtime only: a remote backend may serve such a bundle.
    expect(verdict).toEqual({ runnable: false, reason: expect.stringMatching(/another backend, such as SageMaker or TF Serving, does not need it/) });
  });

  it('is not runnable when the model files (external data included) are larger than the predict function holds, and says to deploy it', async () => {
    const entries = [dir('m/'), file('m/model.onnx', 'x'.repeat(600)), file('m/model.onnx_data', 'y'.repeat(500)), file('m/notes.txt', 'z'.repeat(5000))];
    const bytes = await makeTarGz(entries);
    const limited = (maxBuiltinModelBytes: number) => inspect(bytes, { ...DEFAULT_BUNDLE_LIMITS, maxBuiltinModelBytes });
    expect((await limited(1000)).manifest.builtinRuntime).toEqual({
      runnable: false,
      reason: expect.stringMatching(/^The built-in ONNX Runtime cannot run this bundle here: its model files take 1100 bytes, more than the predict function can hold \(1000 bytes, its model cache\)\. Deploy the model to a SageMaker endpoint/),
      // Kept, so that a view can redo the size rule once the predict function's cache changes.
      modelFiles: ['model.onnx', 'model.onnx_data'],
    });
    // Files the runtime does not read do not count.
    expect((await limited(1100)).manifest.builtinRuntime).toEqual({ runnable: true, modelFiles: ['model.onnx', 'model.onnx_data'] });
  });

  it('lists the model files first even when they are too large for the predict function, which may hold them later', async () => {
    const padding = Array.from({ length: MANIFEST_FILE_LIST_LIMIT }, (_, i) => file(`m/a${String(i).padStart(4, '0')}.txt`, 'p'));
    const bytes = await makeTarGz([dir('m/'), ...padding, file('m/model.onnx', 'x'.repeat(600)), file('m/model.onnx_data', 'y'.repeat(500))]);
    const { manifest } = await inspect(bytes, { ...DEFAULT_BUNDLE_LIMITS, maxBuiltinModelBytes: 1000 });
    expect(manifest.builtinRuntime?.runnable).toBe(false);
    expect(manifest.files.slice(0, 2)).toEqual([{ path: 'model.onnx', size: 600 }, { path: 'model.onnx_data', size: 500 }]);
  });

  it('tells predict, by the same rule, that the model file is a link', async () => {
    const { manifest } = await inspect(await makeTarGz([dir('m/'), file('m/real.bin'), symlink('m/model.onnx', 'real.bin')]));
    expect(() => onnxModelFiles(manifest, readModelParams(manifest.params).modelFile)).toThrow(expect.objectContaining({ code: 'model_file_is_link', message: expect.stringMatching(/^model\.onnx is a symbolic link/) }));
  });

  it('ignores a params.json "model" that names a file for another backend', async () => {
    expect(await verdictOf([file('model.pb'), file('model.onnx'), file('params.json', '{"model": "model.pb"}')])).toEqual({ runnable: true, modelFiles: ['model.onnx'] });
  });

  it('keeps the model file in a shortened file list, so predict picks what the check picked', async () => {
    const many = Array.from({ length: MANIFEST_FILE_LIST_LIMIT + 20 }, (_, i) => file(`m/data/${i}.txt`));
    const { manifest } = await inspect(await makeTarGz([dir('m/'), ...many, file('m/model.onnx'), file('m/model.onnx.data')]));
    expect(manifest.files).toHaveLength(MANIFEST_FILE_LIST_LIMIT);
    expect(manifest.builtinRuntime).toEqual({ runnable: true, modelFiles: ['model.onnx', 'model.onnx.data'] });
    expect(onnxModelFiles(manifest, readModelParams(manifest.params).modelFile)).toEqual(['model.onnx', 'model.onnx.data']);
  });

  it('keeps two candidates in a shortened list, so predict is as undecided as the check', async () => {
    const many = Array.from({ length: MANIFEST_FILE_LIST_LIMIT + 20 }, (_, i) => file(`${i}.txt`));
    const { manifest } = await inspect(await makeTarGz([...many, file('a.onnx'), file('b.onnx')]));
    expect(manifest.builtinRuntime?.runnable).toBe(false);
    expect(() => onnxModelFiles(manifest, undefined)).toThrow(/several \.onnx files/);
  });
});
