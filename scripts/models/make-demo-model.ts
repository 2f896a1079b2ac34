/**
 * Makes MLHub's demo model reproducibly: an MNIST-style digit classifier trained here on
 * synthetic handwriting (see synthetic-digits.ts), written as ONNX with its labels and params,
 * in the TFaaS bundle layout, plus sample digit images for the README's curl commands.
 *
 *   npx tsx scripts/models/make-demo-model.ts [output folder, default models/demo]
 *
 * Writes <out>/mnist/{model.onnx, labels.txt, params.json}, <out>/mnist.tar.gz and
 * <out>/images/img0.png … img9.png with the same digits as JSON input (img0.json …). Fails if the
 * model misreads any sample image.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { pack } from 'tar-stream';
import { linearClassifierOnnx } from './linear-classifier';
import { drawDigit, NO_DISTORTION, randomDistortion, randomSource } from './synthetic-digits';
import { predictClass, trainSoftmax, type Example } from './train-softmax';

const SEED = 20240601;
const TRAIN_PER_DIGIT = 800;
const TEST_PER_DIGIT = 200;
const CLASSES = 10;
/** Fixed so the same script writes the same bundle bytes. */
const MTIME = new Date(Date.UTC(2024, 0, 1));

export const DEMO_PARAMS = {
  name: 'mnist',
  model: 'model.onnx',
  input_name: 'pixels',
  output_name: 'probabilities',
  img_channels: 1,
  img_width: 28,
  img_height: 28,
  img_layout: 'NCHW',
  scale: 1 / 255,
  description: 'Linear MNIST-style digit classifier trained by MLHub on synthetic handwriting (white digit on black, 28x28)',
};

const toFeatures = (pixels: Uint8Array): Float64Array => Float64Array.from(pixels, (value) => value / 255);

function examples(count: number, random: () => number): Example[] {
  const out: Example[] = [];
  for (let i = 0; i < count; i += 1) {
    for (let digit = 0; digit < CLASSES; digit += 1) out.push({ features: toFeatures(drawDigit(digit, randomDistortion(random), random)), label: digit });
  }
  return out;
}

function png(pixels: Uint8Array, size: number): Buffer {
  const image = new PNG({ width: size, height: size });
  pixels.forEach((value, index) => {
    image.data.set([value, value, value, 255], index * 4);
  });
  return PNG.sync.write(image);
}

async function tarGz(folder: string, files: readonly (readonly [string, Buffer])[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  const owner = { uid: 0, gid: 0, uname: '', gname: '', mtime: MTIME };
  archive.entry({ name: `${folder}/`, type: 'directory', mode: 0o755, ...owner });
  for (const [name, content] of files) archive.entry({ name: `${folder}/${name}`, mode: 0o644, ...owner }, content);
  archive.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? join('models', 'demo');
  const random = randomSource(SEED);
  const training = examples(TRAIN_PER_DIGIT, random);
  const testing = examples(TEST_PER_DIGIT, random);
  const model = trainSoftmax(training, { classes: CLASSES, epochs: 12, batchSize: 32, learningRate: 0.5, l2: 1e-5, random });

  const correct = testing.filter((example) => predictClass(model, example.features, CLASSES) === example.label).length;
  console.log(`held-out accuracy on ${testing.length} synthetic digits: ${((100 * correct) / testing.length).toFixed(1)}%`);

  const samples = Array.from({ length: CLASSES }, (_, digit) => drawDigit(digit, NO_DISTORTION));
  const misread = samples.map((pixels, digit) => [digit, predictClass(model, toFeatures(pixels), CLASSES)] as const).filter(([digit, guess]) => digit !== guess);
  if (misread.length > 0) throw new Error(`The trained model misreads sample digits: ${misread.map(([digit, guess]) => `${digit}→${guess}`).join(', ')}`);

  const onnxBytes = Buffer.from(linearClassifierOnnx({
    inputName: DEMO_PARAMS.input_name,
    inputShape: ['N', 1, 28, 28],
    outputName: DEMO_PARAMS.output_name,
    weights: Array.from(model.weights),
    bias: Array.from(model.bias),
    softmax: true,
  }));
  const files: [string, Buffer][] = [
    ['model.onnx', onnxBytes],
    ['labels.txt', Buffer.from(`${Array.from({ length: CLASSES }, (_, digit) => String(digit)).join('\n')}\n`)],
    ['params.json', Buffer.from(`${JSON.stringify(DEMO_PARAMS, null, 2)}\n`)],
  ];
  await mkdir(join(out, 'mnist'), { recursive: true });
  await mkdir(join(out, 'images'), { recursive: true });
  for (const [name, content] of files) await writeFile(join(out, 'mnist', name), content);
  await writeFile(join(out, 'mnist.tar.gz'), await tarGz('mnist', files));
  for (const [digit, pixels] of samples.entries()) {
    await writeFile(join(out, 'images', `img${digit}.png`), png(pixels, 28));
    // The same digit as a JSON vector, scaled as the model expects, for `curl -d @imgN.json`.
    const vector = Array.from(toFeatures(pixels), (value) => Math.round(value * 1000) / 1000);
    await writeFile(join(out, 'images', `img${digit}.json`), `${JSON.stringify({ input: vector })}\n`);
  }
  console.log(`wrote ${join(out, 'mnist')}/, ${join(out, 'mnist.tar.gz')} and ${CLASSES} sample digits (PNG and JSON) in ${join(out, 'images')}/`);
}

await main();
