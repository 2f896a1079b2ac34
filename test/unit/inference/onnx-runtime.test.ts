import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../functions/errors/app-error';
import type { InferenceConfig } from '../../../functions/inference/inference-config';
import type { InferenceEngine, VersionToRun } from '../../../functions/inference/inference-engine';
import { parseImageInput, parseJsonInput } from '../../../functions/inference/predict-input';
import type { RowPrediction } from '../../../functions/inference/predictions';
import { BundleShelf, modelBundle, temporaryFolder } from '../../support/inference/bundles';
import { testConfig, testEngine } from '../../support/inference/engine';
import { blockAverage, encodeJpeg, encodePng, enlarge, patternImage, smoothImage } from '../../support/inference/images';
import { argmax, linearScores, seededValues, softmaxOf } from '../../support/inference/reference';
import { linearTestModel, namedInputsModel } from '../../support/inference/test-models';
import { linearClassifierOnnx } from '../../../scripts/models/linear-classifier';

const DIGITS = linearTestModel({ inputName: 'pixels', inputShape: ['N', 1, 28, 28], outputName: 'logits', features: 784, classes: 10, softmax: false, seed: 7 });
const DIGIT_LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const RGB = linearTestModel({ inputName: 'image', inputShape: ['batch', 8, 8, 3], outputName: 'probabilities', features: 192, classes: 4, softmax: true, seed: 11 });
const RGB_PARAMS = { img_channels: 3, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
const FLAT = linearTestModel({ inputName: 'x', inputShape: ['N', 64], outputName: 'y', features: 64, classes: 3, softmax: false, seed: 21 });
const FIXED = linearTestModel({ inputName: 'x', inputShape: [1, 4], outputName: 'y', features: 4, classes: 2, softmax: false, seed: 31 });

const model = (name: string, meta: Record<string, unknown> = {}) => ({ name, type: 'ONNX' as const, meta });

/** Float32 arithmetic inside ONNX Runtime against float64 here: close, not identical. */
function expectClose(actual: unknown, expected: readonly number[], tolerance = 1e-4): void {
  const values = actual as number[];
  expect(values).toHaveLength(expected.length);
  values.forEach((value, index) => expect(Math.abs(value - expected[index]!)).toBeLessThan(tolerance));
}

function expectLabelled(prediction: RowPrediction, scores: number[], labels: readonly string[]): void {
  const probabilities = softmaxOf(scores);
  expect(prediction.label).toBe(labels[argmax(scores)]);
  expect(prediction.probability).toBeCloseTo(Math.max(...probabilities), 4);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('built-in ONNX Runtime, end to end at the core', () => {
  let folder: Awaited<ReturnType<typeof temporaryFolder>>;
  let config: InferenceConfig;
  let shelf: BundleShelf;
  let engine: InferenceEngine;
  const versions: Record<string, VersionToRun> = {};
  const json = (body: unknown) => parseJsonInput(body, config.limits);

  beforeAll(async () => {
    folder = await temporaryFolder('mlhub-onnx-test-');
    config = testConfig(folder.path);
    shelf = new BundleShelf();
    versions.digits = await shelf.add('models/digits/1/bundle.tar.gz', await modelBundle({
      'model.onnx': DIGITS.onnx,
      'labels.txt': `${DIGIT_LABELS.join('\n')}\n`,
      'params.json': JSON.stringify({ img_channels: 1, scale: 1 / 255 }),
    }, 'digits'));
    versions.rgb = await shelf.add('models/rgb/1/bundle.tar.gz', await modelBundle({
      'model.onnx': RGB.onnx, 'labels.txt': 'a\nb\nc\nd\n', 'params.json': JSON.stringify(RGB_PARAMS),
    }));
    versions.flat = await shelf.add('models/flat/1/bundle.tar.gz', await modelBundle({ 'model.onnx': FLAT.onnx, 'params.json': JSON.stringify({ img_channels: 1 }) }));
    versions.features = await shelf.add('models/features/1/bundle.tar.gz', await modelBundle({ 'model.onnx': FLAT.onnx }));
    versions.fixed = await shelf.add('models/fixed/1/bundle.tar.gz', await modelBundle({ 'model.onnx': FIXED.onnx }));
    versions.named = await shelf.add('models/named/1/bundle.tar.gz', await modelBundle({ 'model.onnx': namedInputsModel() }));
    engine = testEngine(shelf, config);
  });

  afterAll(async () => {
    await folder.remove();
  });

  it('predicts one vector, reshaped to the model\'s [N, 1, 28, 28] input, with the top label', async () => {
    const vector = seededValues(784, 99).map((value) => value + 0.5);
    const result = await engine.predict({ model: model('digits'), version: versions.digits!, input: json({ input: vector }) });
    const expected = linearScores(vector, DIGITS.weights, DIGITS.bias);
    expect(result.model).toBe('digits');
    expect(result.version).toBe(1);
    expect(result.predictions).toHaveLength(1);
    expectClose(result.predictions[0]!.output, expected);
    expectLabelled(result.predictions[0]!, expected, DIGIT_LABELS);
  });

  it('predicts a batch, one prediction per row in order', async () => {
    const rows = [1, 2, 3].map((seed) => seededValues(784, seed));
    const result = await engine.predict({ model: model('digits'), version: versions.digits!, input: json({ input: rows }) });
    expect(result.predictions).toHaveLength(3);
    rows.forEach((row, index) => {
      const expected = linearScores(row, DIGITS.weights, DIGITS.bias);
      expectClose(result.predictions[index]!.output, expected);
      expectLabelled(result.predictions[index]!, expected, DIGIT_LABELS);
    });
  });

  it('takes rows already in the model\'s shape', async () => {
    const flat = seededValues(784, 5);
    const shaped = [[Array.from({ length: 28 }, (_, y) => flat.slice(y * 28, y * 28 + 28))]];
    const result = await engine.predict({ model: model('digits'), version: versions.digits!, input: json({ input: shaped }) });
    expectClose(result.predictions[0]!.output, linearScores(flat, DIGITS.weights, DIGITS.bias));
  });

  it('predicts named inputs of different types, keeping each output\'s shape', async () => {
    const input = json({ inputs: { a: [[1, 2, 3], [4, 5, 6.5]], count: [[10], [20]] } });
    const result = await engine.predict({ model: model('named'), version: versions.named!, input });
    expect(result.predictions).toEqual([
      { outputs: { sum: [16], scaled: [2, 4, 6] } },
      { outputs: { sum: [35.5], scaled: [8, 10, 13] } },
    ]);
  });

  it('reads a PNG twice the model\'s size, shrinking it by area', async () => {
    const digit = patternImage(28, 28, 1, 3);
    const input = parseImageInput(encodePng(enlarge(digit, 2)), 'image/png', config.limits);
    const result = await engine.predict({ model: model('digits'), version: versions.digits!, input });
    const expected = linearScores(Array.from(digit.values, (value) => value / 255), DIGITS.weights, DIGITS.bias);
    expectClose(result.predictions[0]!.output, expected);
    expectLabelled(result.predictions[0]!, expected, DIGIT_LABELS);
  });

  it('reads a JPEG three times the model\'s size', async () => {
    const bytes = encodeJpeg(smoothImage(84, 84), 95);
    const input = parseImageInput(bytes, 'image/jpeg', config.limits);
    const result = await engine.predict({ model: model('digits'), version: versions.digits!, input });
    // The test's own decoding and shrinking: JPEG is lossy, so compare with what it decodes to.
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    const grey = Array.from({ length: 84 * 84 }, (_, pixel) => 0.299 * decoded.data[pixel * 4]! + 0.587 * decoded.data[pixel * 4 + 1]! + 0.114 * decoded.data[pixel * 4 + 2]!);
    const expected = linearScores(blockAverage(grey, 84, 84, 1, 3).map((value) => value / 255), DIGITS.weights, DIGITS.bias);
    expectClose(result.predictions[0]!.output, expected, 1e-3);
  });

  it('lays out a colour PNG as NHWC with per-channel mean and std, and labels probabilities as they are', async () => {
    const picture = patternImage(8, 8, 3, 17);
    const input = parseImageInput(encodePng(enlarge(picture, 2)), 'image/png', config.limits);
    const result = await engine.predict({ model: model('rgb'), version: versions.rgb!, input });
    const features = Array.from(picture.values, (value, index) => (value / 255 - RGB_PARAMS.mean[index % 3]!) / RGB_PARAMS.std[index % 3]!);
    const probabilities = softmaxOf(linearScores(features, RGB.weights, RGB.bias));
    expectClose(result.predictions[0]!.output, probabilities);
    expect(result.predictions[0]!.label).toBe('abcd'[argmax(probabilities)]);
    // Already a distribution: the engine must not apply softmax a second time.
    expect(result.predictions[0]!.probability).toBeCloseTo(Math.max(...probabilities), 4);
  });

  it('answers 400 for an image sent to a [N, 64] model whose params.json describes no image', async () => {
    const input = parseImageInput(encodePng(patternImage(8, 8, 1, 23)), 'image/png', config.limits);
    const error = await rejection(engine.predict({ model: model('features'), version: versions.features!, input }));
    expect(error).toMatchObject({ kind: 'invalid', code: 'image_not_accepted' });
    expect(error.message).toContain("'x' has shape [N, 64]");
  });

  it('flattens an image for a [N, 64] model whose params.json describes one, inferring 8×8 from the shape', async () => {
    const picture = patternImage(8, 8, 1, 23);
    const input = parseImageInput(encodePng(enlarge(picture, 4)), undefined, config.limits);
    const result = await engine.predict({ model: model('flat'), version: versions.flat!, input });
    expectClose(result.predictions[0]!.output, linearScores(Array.from(picture.values, (value) => value / 255), FLAT.weights, FLAT.bias));
  });

  it('runs a batch row by row on a model whose batch size is fixed at 1', async () => {
    const rows = [[1, 2, 3, 4], [0, -1, 0.5, 2], [3, 3, 3, 3]];
    const result = await engine.predict({ model: model('fixed'), version: versions.fixed!, input: json({ input: rows }) });
    expect(result.predictions).toHaveLength(3);
    rows.forEach((row, index) => expectClose(result.predictions[index]!.output, linearScores(row, FIXED.weights, FIXED.bias)));
  });

  it('refuses a vector of the wrong length with 400, naming the shape the model expects', async () => {
    const error = await rejection(engine.predict({ model: model('digits'), version: versions.digits!, input: json({ input: [1, 2, 3] }) }));
    expect(error.kind).toBe('invalid');
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain("'pixels' of shape [N, 1, 28, 28]");
    expect(error.message).toContain('784 values per row');
    expect(error.message).toContain('got 3 values per row');
  });

  it('refuses values of the wrong type and wrong or missing names with 400', async () => {
    const fractional = await rejection(engine.predict({ model: model('named'), version: versions.named!, input: json({ inputs: { a: [[1, 2, 3]], count: [[1.5]] } }) }));
    expect(fractional.kind).toBe('invalid');
    expect(fractional.message).toContain("'count'");
    expect(fractional.message).toContain('type int64');
    expect(fractional.message).toContain('integers');

    const missing = await rejection(engine.predict({ model: model('named'), version: versions.named!, input: json({ inputs: { a: [[1, 2, 3]] } }) }));
    expect(missing.kind).toBe('invalid');
    expect(missing.message).toContain("also needs 'count'");

    const unnamed = await rejection(engine.predict({ model: model('named'), version: versions.named!, input: json({ input: [1, 2, 3] }) }));
    expect(unnamed.kind).toBe('invalid');
    expect(unnamed.message).toContain('several inputs');

    const shape = await rejection(engine.predict({ model: model('named'), version: versions.named!, input: json({ inputs: { a: [[1, 2]], count: [[1]] } }) }));
    expect(shape.message).toContain("'a' of shape [N, 3]");
  });

  it('refuses oversized input with 413', async () => {
    // The digits model takes 28×28 (784 pixels, within the bound); the 30×30 image sent is not.
    const small = { ...config.limits, maxInputElements: 100, maxImagePixels: 800 };
    expect(() => parseJsonInput({ input: seededValues(101, 1) }, small)).toThrow(expect.objectContaining({ kind: 'too_large' }));
    const tooBig = parseImageInput(encodePng(patternImage(30, 30, 1)), 'image/png', small);
    const limited = testEngine(shelf, { ...config, limits: small });
    const error = await rejection(limited.predict({ model: model('digits'), version: versions.digits!, input: tooBig }));
    expect(error.kind).toBe('too_large');
  });

  it('gives 504 when the model cannot be made ready before the deadline', async () => {
    const stuck = new BundleShelf();
    const version = await stuck.add('models/slow/1/bundle.tar.gz', await modelBundle({ 'model.onnx': FLAT.onnx }));
    // Storage that never answers; a fresh cache folder so nothing is on disk already.
    const hanging = { open: () => new Promise<never>(() => undefined) } as unknown as BundleShelf;
    const own = await temporaryFolder('mlhub-onnx-slow-');
    try {
      const slow = testEngine(hanging, testConfig(own.path, { deadlineMs: 100 }));
      const error = await rejection(slow.predict({ model: model('slow'), version, input: json({ input: seededValues(64, 1) }) }));
      expect(error.kind).toBe('timeout');
      expect(error.message).toContain('onnxruntime');
      expect(error.message).toContain('100 ms');
    } finally {
      await own.remove();
    }
  });

  it('unpacks a bundle once for concurrent requests, and a new process finds it on disk', async () => {
    const own = await temporaryFolder('mlhub-onnx-cache-');
    try {
      const counting = new BundleShelf();
      const version = await counting.add('models/cached/1/bundle.tar.gz', await modelBundle({ 'model.onnx': FLAT.onnx }));
      const first = testEngine(counting, testConfig(own.path));
      const input = json({ input: seededValues(64, 2) });
      await Promise.all([1, 2, 3, 4].map(() => first.predict({ model: model('cached'), version, input })));
      expect(counting.opened).toHaveLength(1);
      const restarted = testEngine(counting, testConfig(own.path));
      const result = await restarted.predict({ model: model('cached'), version, input });
      expect(counting.opened).toHaveLength(1);
      expectClose(result.predictions[0]!.output, linearScores(seededValues(64, 2), FLAT.weights, FLAT.bias));
    } finally {
      await own.remove();
    }
  });

  it('answers 409 for a bundle nothing can run and for a version that is not ready', async () => {
    const version = await shelf.add('models/pickle/1/bundle.tar.gz', await modelBundle({ 'model.pkl': 'not runnable here' }));
    const none = await rejection(engine.predict({ model: { name: 'pickle', type: 'ScikitLearn', meta: {} }, version, input: json({ input: [1] }) }));
    expect(none.kind).toBe('conflict');
    expect(none.code).toBe('no_backend');
    expect(none.message).toContain('MLHUB_BACKEND_SCIKITLEARN');

    const pending = await rejection(engine.predict({ model: model('digits'), version: { ...versions.digits!, status: 'pending' }, input: json({ input: [1] }) }));
    expect(pending.kind).toBe('conflict');
    expect(pending.code).toBe('no_ready_bundle');
  });

  it('refuses to run a stored bundle whose bytes no longer match its sha256', async () => {
    const tampered = new BundleShelf();
    const version = await tampered.add('models/tampered/1/bundle.tar.gz', await modelBundle({ 'model.onnx': FLAT.onnx }));
    tampered.tamper('models/tampered/1/bundle.tar.gz', await modelBundle({ 'model.onnx': linearClassifierOnnx({ inputName: 'x', inputShape: ['N', 64], outputName: 'y', weights: new Array(64 * 3).fill(0), bias: [0, 0, 0], softmax: false }) }));
    const own = await temporaryFolder('mlhub-onnx-tamper-');
    try {
      const error = await rejection(testEngine(tampered, testConfig(own.path)).predict({ model: model('tampered'), version, input: json({ input: seededValues(64, 1) }) }));
      expect(error.code).toBe('bundle_corrupt');
      expect(error.kind).toBe('unavailable');
    } finally {
      await own.remove();
    }
  });
});
