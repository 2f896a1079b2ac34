import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine, VersionToRun } from '../../../functions/inference/inference-engine';
import { parseImageInput, parseJsonInput } from '../../../functions/inference/predict-input';
import { BundleShelf, temporaryFolder } from '../../support/inference/bundles';
import { testConfig, testEngine } from '../../support/inference/engine';
import { encodeJpeg, enlarge } from '../../support/inference/images';

const DEMO = new URL('../../../models/demo/', import.meta.url);

/** The committed demo bundle and sample images, exactly as `npm start` and the README use them. */
describe('the committed demo model', () => {
  let folder: Awaited<ReturnType<typeof temporaryFolder>>;
  let engine: InferenceEngine;
  let version: VersionToRun;
  const demo = { name: 'mnist', type: 'ONNX' as const, meta: {} };
  const limits = testConfig('/unused').limits;

  beforeAll(async () => {
    folder = await temporaryFolder('mlhub-demo-test-');
    const shelf = new BundleShelf();
    version = await shelf.add('models/mnist/1/bundle.tar.gz', await readFile(new URL('mnist.tar.gz', DEMO)));
    engine = testEngine(shelf, testConfig(folder.path));
  });

  afterAll(async () => {
    await folder.remove();
  });

  it('is small and in the TFaaS layout', async () => {
    expect(version.manifest).toMatchObject({ root: 'mnist', framework: 'ONNX', labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect((await readFile(new URL('mnist.tar.gz', DEMO))).length).toBeLessThan(100_000);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])('reads img%i.png as that digit, at its size and enlarged, as PNG and JPEG', async (digit) => {
    const bytes = await readFile(new URL(`images/img${digit}.png`, DEMO));
    const direct = await engine.predict({ model: demo, version, input: parseImageInput(bytes, 'image/png', limits) });
    expect(direct.predictions[0]).toMatchObject({ label: String(digit) });
    expect(direct.predictions[0]!.probability).toBeGreaterThan(0.5);

    const png = PNG.sync.read(bytes);
    const grey = { width: 28, height: 28, channels: 1 as const, values: Uint8Array.from({ length: 784 }, (_, pixel) => png.data[pixel * 4]!) };
    const jpeg = encodeJpeg(enlarge(grey, 2), 95);
    const enlarged = await engine.predict({ model: demo, version, input: parseImageInput(jpeg, 'image/jpeg', limits) });
    expect(enlarged.predictions[0]!.label).toBe(String(digit));

    // The same pixels as a JSON vector of 784 values in 0-1.
    const vector = Array.from(grey.values, (value) => value / 255);
    const fromJson = await engine.predict({ model: demo, version, input: parseJsonInput({ input: vector }, limits) });
    expect(fromJson.predictions[0]!.label).toBe(String(digit));
    expect(fromJson.predictions[0]!.probability).toBeCloseTo(direct.predictions[0]!.probability!, 5);
  });
});
