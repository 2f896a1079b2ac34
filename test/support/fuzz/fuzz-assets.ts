import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { encodeJpeg, encodePng, patternImage } from '../inference/images';
import { makeTar, makeTarGz, sampleBundle } from '../tarballs';

export interface Sample {
  readonly label: string;
  readonly bytes: Buffer;
}

/**
 * Real files the fuzzer starts from and bends: arbitraries must be synchronous, and tar and image
 * encoders are not (or are slow), so these are built once.
 */
export interface FuzzAssets {
  /** The demo classifier: a bundle that is ready and predicts. */
  readonly bundle: Buffer;
  /** One digit as the demo model's JSON input, `{"input":[784 numbers]}`. */
  readonly digitJson: string;
  /** A bundle every check refuses: an entry that climbs out of the archive. */
  readonly refused: Buffer;
  readonly bundles: readonly Sample[];
  readonly images: readonly Sample[];
}

const demo = (path: string) => new URL(`../../../models/demo/${path}`, import.meta.url);

export async function loadFuzzAssets(): Promise<FuzzAssets> {
  const bundle = await readFile(demo('mnist.tar.gz'));
  const digitPng = await readFile(demo('images/img3.png'));
  const digitJson = await readFile(demo('images/img3.json'), 'utf8');
  const refused = await makeTarGz([{ name: '../../x', content: 'x' }]);
  const bundles: Sample[] = [
    { label: 'demo bundle', bytes: bundle },
    { label: 'bundle with a fake model file', bytes: await sampleBundle() },
    { label: 'tar, not gzipped', bytes: await makeTar([{ name: 'm/model.onnx', content: 'x' }]) },
    { label: 'empty tar', bytes: await makeTarGz([]) },
    { label: 'entry escaping with ..', bytes: refused },
    { label: 'absolute entry', bytes: await makeTarGz([{ name: '/etc/x', content: 'x' }]) },
    { label: 'link chain d -> ., d/l -> ..', bytes: await makeTarGz([{ name: 'd', type: 'symlink', linkname: '.' }, { name: 'd/l', type: 'symlink', linkname: '..' }]) },
    { label: 'hard link outside', bytes: await makeTarGz([{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]) },
    { label: 'AppleDouble beside the model', bytes: await sampleBundle('mnist', [{ name: '._mnist', content: 'apple' }, { name: '__MACOSX/mnist/._model.onnx', content: 'x' }]) },
    { label: 'unicode and long names', bytes: await makeTarGz([{ name: `${'é'.repeat(60)}/model.onnx`, content: 'x' }, { name: `${'n'.repeat(90)}/${'m'.repeat(90)}/labels.txt`, content: 'a\n' }]) },
    { label: 'gzip of the demo bundle', bytes: gzipSync(bundle) },
    { label: 'data after the end of the archive', bytes: gzipSync(Buffer.concat([await makeTar([{ name: 'm/model.onnx', content: 'x' }]), Buffer.alloc(64 * 1024, 7)])) },
  ];
  const images: Sample[] = [
    { label: 'digit png', bytes: digitPng },
    { label: '1x1 png', bytes: encodePng(patternImage(1, 1, 4)) },
    { label: '4000x1 png', bytes: encodePng(patternImage(4000, 1, 3)) },
    { label: '28x28 jpeg', bytes: encodeJpeg(patternImage(28, 28, 3)) },
    { label: '1x1 jpeg', bytes: encodeJpeg(patternImage(1, 1, 1)) },
    { label: 'gif', bytes: Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;', 'latin1') },
    { label: 'png signature only', bytes: Buffer.from('89504e470d0a1a0a', 'hex') },
    { label: 'jpeg start only', bytes: Buffer.from('ffd8ffe000104a464946', 'hex') },
    { label: 'text', bytes: Buffer.from('this is not an image') },
  ];
  return { bundle, digitJson, refused, bundles, images };
}
