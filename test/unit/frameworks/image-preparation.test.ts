import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTargetFromParams, imageToTensor } from '../../../functions/inference/images/image-tensor';
import { readModelParams } from '../../../functions/inference/model-params';
import { temporaryFolder } from '../../support/inference/bundles';
import { closeTo, PYTHON, requirePython, SCRIPTS } from '../../support/frameworks/python-worker';

/**
 * The framework scripts prepare image bytes themselves (mlhub_serving/images.py); these tests hold
 * them to MLHub's own preparation (image-tensor.ts) and the PNG decoder the scripts fall back on
 * without Pillow to the pixels pngjs encoded, for every PNG filter and colour type.
 */

requirePython(['numpy']);

/** Deterministic pixel values (a linear congruential generator), so a failure is reproducible. */
function pixels(count: number, seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state >> 23;
  });
}

function png(width: number, height: number, seed: number, options: { filterType: number; colorType: 0 | 2 | 4 | 6 }): Buffer {
  const image = new PNG({ width, height });
  image.data.set(pixels(width * height * 4, seed));
  // Grey colour types keep one channel: make the source grey so the comparison is exact.
  if (options.colorType === 0 || options.colorType === 4) {
    for (let i = 0; i < width * height; i += 1) image.data.set([image.data[i * 4]!, image.data[i * 4]!, image.data[i * 4]!], i * 4);
  }
  if (options.colorType === 0 || options.colorType === 2) for (let i = 0; i < width * height; i += 1) image.data[i * 4 + 3] = 255;
  return PNG.sync.write(image, { filterType: options.filterType, colorType: options.colorType, inputColorType: 6, bitDepth: 8 });
}

function runPython(program: string, args: string[]): unknown {
  const run = spawnSync(PYTHON, ['-c', `import json, sys\nsys.path.insert(0, ${JSON.stringify(SCRIPTS)})\n${program}`, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1' } });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

describe('image preparation in the framework scripts', () => {
  let folder: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    folder = await temporaryFolder('mlhub-framework-images-');
  });

  afterAll(async () => {
    await folder?.remove();
  });

  it('decodes PNGs without Pillow to the very pixels, for filters 0-4 and grey, grey+alpha, RGB and RGBA', async () => {
    const cases: { file: string; rgba: number[] }[] = [];
    for (const colorType of [0, 2, 4, 6] as const) {
      for (const filterType of [0, 1, 2, 3, 4]) {
        const bytes = png(13, 7, colorType * 10 + filterType + 1, { filterType, colorType });
        const file = join(folder.path, `c${colorType}-f${filterType}.png`);
        await writeFile(file, bytes);
        cases.push({ file, rgba: [...PNG.sync.read(bytes).data] });
      }
    }
    const decoded = runPython('from mlhub_serving.images import _decode_png\nprint(json.dumps([_decode_png(open(p, "rb").read()).reshape(-1).tolist() for p in sys.argv[1:]]))', cases.map((c) => c.file)) as number[][];
    cases.forEach((entry, index) => expect({ file: entry.file, same: decoded[index]!.every((v, i) => v === entry.rgba[i]) && decoded[index]!.length === entry.rgba.length }).toEqual({ file: entry.file, same: true }));
  });

  it.each([
    ['shrinking 37×23 to 28×28, grey, NCHW', 37, 23, { img_width: 28, img_height: 28, img_channels: 1, img_layout: 'NCHW' }],
    ['enlarging 10×6 to 16×12, RGB, NHWC, normalised per channel', 10, 6, { img_width: 16, img_height: 12, img_channels: 3, img_layout: 'NHWC', mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }],
  ])('prepares an image as MLHub does: %s', async (_name, width, height, params) => {
    const bytes = png(width, height, width * height, { filterType: 4, colorType: 6 });
    const file = join(folder.path, `prepare-${width}x${height}.png`);
    await writeFile(file, bytes);
    const modelParams = readModelParams(params);
    const expected = imageToTensor({ bytes, format: 'png' }, imageTargetFromParams(modelParams.image, 'sagemaker'), modelParams.image, { maxImagePixels: 10_000_000, maxInputElements: 30_000_000 });
    const program = [
      'from mlhub_serving.bundle import read_params',
      'from mlhub_serving.images import image_batch',
      'import os',
      'params = read_params(os.path.dirname(sys.argv[1]))',
      'batch = image_batch(open(sys.argv[1], "rb").read(), params.image, None, "float64")',
      'print(json.dumps({"shape": list(batch.shape), "data": batch.reshape(-1).tolist()}))',
    ].join('\n');
    await writeFile(join(folder.path, 'params.json'), JSON.stringify(params));
    const prepared = runPython(program, [file]) as { shape: number[]; data: number[] };
    expect(prepared.shape).toEqual(expected.shape);
    expect(closeTo(prepared.data, Array.from(expected.data as ArrayLike<number>), 1e-9)).toEqual([]);
  });
});

describe('image sizes a bundle may ask for (review 14b finding 3)', () => {
  it('refuses a params.json image larger than MLHub prepares, in MLHub and in the scripts alike', () => {
    expect(() => readModelParams({ img_width: 60000, img_height: 60000 })).toThrow(/60000×60000 image \(3600000000 pixels\), more than the 16777216/);
    const script = runPython([
      'import os, tempfile',
      'from mlhub_serving.bundle import read_params',
      'folder = tempfile.mkdtemp()',
      'open(os.path.join(folder, "params.json"), "w").write(sys.argv[1])',
      'try:\n    read_params(folder); print(json.dumps("read"))\nexcept Exception as error:\n    print(json.dumps([error.code, str(error)]))',
    ].join('\n'), [JSON.stringify({ img_width: 60000, img_height: 60000 })]) as [string, string];
    expect(script[0]).toBe('model_load_failed');
    expect(script[1]).toMatch(/60000×60000 image/);
  });

  it('answers 409 invalid_bundle_params before decoding or allocating anything, for a target the shape makes too large', () => {
    const target = imageTargetFromParams({ width: 5000, height: 5000, channels: 1, scale: 1 / 255, mean: 0, std: 1 }, 'sagemaker');
    const image = { format: 'png' as const, bytes: Buffer.from('not a png at all') };
    let caught: unknown;
    try {
      imageToTensor(image, target, { scale: 1 / 255, mean: 0, std: 1 }, { maxImagePixels: 4096 * 4096, maxInputElements: 1e9 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'invalid_bundle_params', kind: 'conflict' });
    expect((caught as Error).message).toMatch(/5000×5000 images \(25000000 pixels.*MLHUB_PREDICT_MAX_IMAGE_PIXELS/);
  });
});
