import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../functions/errors/app-error';
import type { InferenceConfig } from '../../../functions/inference/inference-config';
import type { InferenceEngine, VersionToRun } from '../../../functions/inference/inference-engine';
import { numberToHalf } from '../../../functions/inference/element-types';
import { halfToNumber, jsonValues } from '../../../functions/inference/output-values';
import { parseJsonInput } from '../../../functions/inference/predict-input';
import { labelPredictions, topLabel } from '../../../functions/inference/predictions';
import { readModelParams } from '../../../functions/inference/model-params';
import { BundleShelf, modelBundle, temporaryFolder } from '../../support/inference/bundles';
import { testConfig, testEngine } from '../../support/inference/engine';
import { divisionModel, reshapeImageModel, squareModel, TYPED_INPUTS, typedInputsModel } from '../../support/inference/test-models';

const model = (name: string) => ({ name, type: 'ONNX' as const, meta: {} });

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** Valid values for every input of the typed model; a test swaps one value out. */
const validInputs = (): Record<string, unknown[][]> => Object.fromEntries(TYPED_INPUTS.map((type) => [`in_${type}`, type === 'bool' ? [[true, false]] : [[1, 2]]]));

describe('numbers through the built-in ONNX Runtime', () => {
  let folder: Awaited<ReturnType<typeof temporaryFolder>>;
  let config: InferenceConfig;
  let engine: InferenceEngine;
  const versions: Record<string, VersionToRun> = {};
  const json = (body: unknown) => parseJsonInput(body, config.limits);
  const predict = (name: string, body: unknown) => engine.predict({ model: model(name), version: versions[name]!, input: json(body) });

  beforeAll(async () => {
    folder = await temporaryFolder('mlhub-numbers-test-');
    config = testConfig(folder.path);
    const shelf = new BundleShelf();
    versions.typed = await shelf.add('models/typed/1/bundle.tar.gz', await modelBundle({ 'model.onnx': typedInputsModel() }));
    versions.division = await shelf.add('models/division/1/bundle.tar.gz', await modelBundle({ 'model.onnx': divisionModel(), 'labels.txt': 'a\nb\nc\n' }));
    versions.square = await shelf.add('models/square/1/bundle.tar.gz', await modelBundle({ 'model.onnx': squareModel() }));
    versions.reshape = await shelf.add('models/reshape/1/bundle.tar.gz', await modelBundle({ 'model.onnx': reshapeImageModel() }));
    engine = testEngine(shelf, config);
  });

  afterAll(async () => {
    await folder.remove();
  });

  it.each([
    ['float16', 65520, '65520'],
    ['float16', -1e5, '-100000'],
    ['float32', 1e39, '1e+39'],
    ['float32', -1e39, '-1e+39'],
    ['float32', 3.5e38, '3.5e+38'],
    ['int32', 2147483648, '2147483648'],
    ['int32', -2147483649, '-2147483649'],
    ['int32', 1.5, '1.5'],
    ['int64', 9007199254740992, '9007199254740992'],
    ['int64', -9007199254740992, '-9007199254740992'],
    ['int64', 0.5, '0.5'],
    ['int8', 128, '128'],
    ['int8', -129, '-129'],
    ['int16', 32768, '32768'],
    ['uint16', 65536, '65536'],
    ['uint32', 4294967296, '4294967296'],
    ['uint32', -1, '-1'],
    ['uint64', 9007199254740992, '9007199254740992'],
    ['uint64', -1, '-1'],
    ['uint8', 256, '256'],
    ['uint8', -1, '-1'],
    ['uint8', 2.5, '2.5'],
    ['bool', 2, '2'],
    ['bool', -1, '-1'],
    ['bool', 0.5, '0.5'],
  ])('refuses %s input %d with 400 naming its position and the type', async (type, value, shown) => {
    const inputs = validInputs();
    inputs[`in_${type}`] = [[type === 'bool' ? true : 1, value]];
    const error = await rejection(predict('typed', { inputs }));
    expect(error).toMatchObject({ kind: 'invalid', code: 'invalid_input' });
    expect(error.message).toContain(`inputs.in_${type}[0][1] is ${shown}`);
    expect(error.message).toContain(`type ${type}`);
  });

  it('takes the extreme values each type holds, and gives them back unrounded', async () => {
    const inputs = validInputs();
    inputs.in_float16 = [[65504, -(2 ** -24)]];
    inputs.in_float32 = [[3.4028234663852886e38, -3.4028234663852886e38]];
    inputs.in_int8 = [[127, -128]];
    inputs.in_int16 = [[32767, -32768]];
    inputs.in_uint16 = [[65535, 0]];
    inputs.in_uint32 = [[4294967295, 0]];
    inputs.in_uint64 = [[9007199254740991, 0]];
    inputs.in_float64 = [[1e39, -1.7976931348623157e308]];
    inputs.in_int32 = [[2147483647, -2147483648]];
    inputs.in_int64 = [[9007199254740991, -9007199254740991]];
    inputs.in_uint8 = [[255, 0]];
    inputs.in_bool = [[1, 0]];
    const [prediction] = (await predict('typed', { inputs })).predictions;
    expect(prediction!.outputs).toEqual({
      out_float16: [65504, -(2 ** -24)],
      out_int8: [127, -128],
      out_int16: [32767, -32768],
      out_uint16: [65535, 0],
      out_uint32: [4294967295, 0],
      out_uint64: [9007199254740991, 0],
      out_float32: [3.4028234663852886e38, -3.4028234663852886e38],
      out_float64: [1e39, -1.7976931348623157e308],
      out_int32: [2147483647, -2147483648],
      out_int64: [9007199254740991, -9007199254740991],
      out_uint8: [255, 0],
      out_bool: [true, false],
    });
  });

  it('rounds float16 input once, to nearest even, as IEEE 754 does', async () => {
    const inputs = validInputs();
    // 0.1 is nearest 1638/16384; 2049 lies halfway between 2048 and 2050 and goes to the even 2048.
    inputs.in_float16 = [[0.1, 2049]];
    const [prediction] = (await predict('typed', { inputs })).predictions;
    expect(prediction!.outputs!.out_float16).toEqual([1638 / 16384, 2048]);
  });

  it('names the row and position of a float32 overflow in a batch of rows and in one row', async () => {
    const rows = Array.from({ length: 4 }, () => new Array<number>(16).fill(0));
    rows[3]![7] = 1e39;
    const batch = await rejection(predict('reshape', { input: rows }));
    expect(batch).toMatchObject({ kind: 'invalid', code: 'invalid_input' });
    expect(batch.message).toContain('input[3][7] is 1e+39');
    const row = new Array<number>(16).fill(0);
    row[5] = -1e39;
    expect((await rejection(predict('reshape', { input: row }))).message).toContain('input[5] is -1e+39');
  });

  it('gives NaN and ±Infinity outputs as strings, and picks no label from them', async () => {
    const result = await predict('division', { inputs: { x: [[1, -1, 0], [1, 2, 3]], d: [[0, 0, 0], [1, 1, 1]] } });
    expect(result.predictions[0]).toEqual({ output: ['Infinity', '-Infinity', 'NaN'] });
    expect(result.predictions[1]).toMatchObject({ output: [1, 2, 3], label: 'c' });
    // What a client receives: nothing turned into null on the way.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('gives int64 outputs past 2^53 as exact decimal strings, and smaller ones as numbers', async () => {
    const xs = [3037000499, 94906265, 94906267, 3];
    const result = await predict('square', { input: xs.map((x) => [x]) });
    const exact = (value: bigint) => (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString());
    xs.forEach((x, row) => {
      const square = BigInt(x) * BigInt(x);
      expect(result.predictions[row]!.outputs).toEqual({ square: [exact(square)], negative: [exact(-square)] });
    });
    expect(result.predictions[0]!.outputs!.square).toEqual(['9223372030926249001']);
    expect(result.predictions[1]!.outputs!.square).toEqual([9007199136250225]);
  });
});

describe('labels and non-finite scores', () => {
  it.each([
    ['NaN, 1, 2', [NaN, 1, 2]],
    ['0.2, NaN, 0.3', [0.2, NaN, 0.3]],
    ['Infinity, 0, 0', [Infinity, 0, 0]],
    ['-Infinity, 1, 2', [-Infinity, 1, 2]],
  ])('chooses no label from scores %s', (_shown, scores) => {
    expect(topLabel(scores, ['a', 'b', 'c'], undefined)).toBeUndefined();
    expect(topLabel(scores, ['a', 'b', 'c'], true)).toBeUndefined();
  });

  it('chooses no label for a binary score of NaN, nor for outputs holding "NaN" strings', () => {
    expect(topLabel([NaN], ['no', 'yes'], undefined)).toBeUndefined();
    const params = readModelParams(undefined);
    expect(labelPredictions([{ output: ['NaN', 1, 2] }], ['a', 'b', 'c'], params)).toEqual([{ output: ['NaN', 1, 2] }]);
    expect(labelPredictions([{ output: [0, 1, 5] }], ['a', 'b', 'c'], params)[0]).toMatchObject({ label: 'c' });
  });
});

describe('jsonValues', () => {
  it('writes floats, 64-bit integers, booleans and float16 as JSON keeps them', () => {
    expect(jsonValues('float32', Float32Array.from([1.5, NaN, Infinity, -Infinity]))).toEqual([1.5, 'NaN', 'Infinity', '-Infinity']);
    expect(jsonValues('float64', Float64Array.from([0.1, NaN]))).toEqual([0.1, 'NaN']);
    expect(jsonValues('int64', BigInt64Array.from([9007199254740991n, 9007199254740992n, -9223372036854775808n]))).toEqual([9007199254740991, '9007199254740992', '-9223372036854775808']);
    expect(jsonValues('uint64', BigUint64Array.from([18446744073709551615n, 7n]))).toEqual(['18446744073709551615', 7]);
    expect(jsonValues('bool', Uint8Array.from([1, 0]))).toEqual([true, false]);
    // IEEE 754 binary16 bit patterns: 1.0, −2.0, 65504 (the largest), a subnormal, +∞, NaN.
    expect(jsonValues('float16', Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00]))).toEqual([1, -2, 65504, 2 ** -24, 'Infinity', 'NaN']);
    expect(halfToNumber(0x8000)).toBe(-0);
  });
});

describe('numberToHalf', () => {
  it.each([
    [1, 0x3c00, 1], [-2, 0xc000, -2], [65504, 0x7bff, 65504], [2 ** -24, 0x0001, 2 ** -24], [2 ** -14, 0x0400, 2 ** -14],
    [0, 0x0000, 0], [-0, 0x8000, -0], [0.1, 0x2e66, 1638 / 16384],
    // Ties go to even: 2049 lies between 2048 and 2050 (even fraction), 2051 between 2050 and 2052 (even).
    [2049, 0x6800, 2048], [2051, 0x6802, 2052], [65519, 0x7bff, 65504], [65520, 0x7c00, Infinity],
  ])('encodes %d as the binary16 bits %i, which read back as %d', (value, bits, back) => {
    expect(numberToHalf(value)).toBe(bits);
    expect(halfToNumber(bits)).toBe(back);
  });
});
