import { describe, expect, it } from 'vitest';
import { imageTargetForShape, imageTargetFromParams, imageToTensor } from '../../../functions/inference/images/image-tensor';
import { resizePlane } from '../../../functions/inference/images/resize-image';
import { readModelParams } from '../../../functions/inference/model-params';
import { blockAverage, encodePng, enlarge, patternImage } from '../../support/inference/images';

const defaults = readModelParams(undefined).image;

describe('resizePlane', () => {
  it('shrinks by averaging each output pixel\'s area', () => {
    const plane = Float64Array.from(patternImage(6, 6, 1).values);
    expect(Array.from(resizePlane(plane, 6, 6, 2, 2))).toEqual(blockAverage(plane, 6, 6, 1, 3).map((value) => expect.closeTo(value, 9)));
    // A 3→2 shrink weighs the middle pixel half to each side.
    expect(Array.from(resizePlane(Float64Array.from([0, 30, 90]), 3, 1, 2, 1))).toEqual([10, 70]);
  });

  it('enlarges by interpolating between pixel centres', () => {
    expect(Array.from(resizePlane(Float64Array.from([0, 100]), 2, 1, 4, 1))).toEqual([0, 25, 75, 100]);
  });

  it('keeps an image already at the target size as it is', () => {
    const plane = Float64Array.from([1, 2, 3, 4]);
    expect(resizePlane(plane, 2, 2, 2, 2)).toBe(plane);
  });
});

describe('imageTargetForShape', () => {
  it.each([
    [['N', 1, 28, 28], { layout: 'NCHW', channels: 1, width: 28, height: 28, shape: [1, 1, 28, 28] }],
    [['N', 3, 224, 200], { layout: 'NCHW', channels: 3, width: 200, height: 224, shape: [1, 3, 224, 200] }],
    [['N', 32, 24, 3], { layout: 'NHWC', channels: 3, width: 24, height: 32, shape: [1, 32, 24, 3] }],
  ])('reads %j', (shape, target) => {
    expect(imageTargetForShape(shape, defaults, 'x')).toEqual(target);
  });

  it.each([
    [['N', 28, 28], { layout: 'NHWC', channels: 1, width: 28, height: 28, shape: [1, 28, 28] }],
    [['N', 784], { layout: 'flat', channels: 1, width: 28, height: 28, shape: [1, 784] }],
  ])('reads %j when params.json describes an image', (shape, target) => {
    expect(imageTargetForShape(shape, readModelParams({ img_channels: 1 }).image, 'x')).toEqual(target);
  });

  it('takes open sizes and the channel order from params.json', () => {
    const params = readModelParams({ img_width: 64, img_height: 48, img_channels: 3, img_layout: 'NHWC' }).image;
    expect(imageTargetForShape(['N', 'h', 'w', 3], params, 'x')).toMatchObject({ layout: 'NHWC', width: 64, height: 48 });
    expect(imageTargetForShape(['N', 3, 'h', 'w'], readModelParams({ img_width: 8, img_height: 8 }).image, 'x')).toMatchObject({ layout: 'NCHW', channels: 3 });
    expect(imageTargetForShape(['N', 192], readModelParams({ img_channels: 3 }).image, 'x')).toMatchObject({ layout: 'flat', width: 8, height: 8, channels: 3 });
  });

  it('answers 409 when an image input\'s size cannot be known from the model and its params.json', () => {
    const grey = readModelParams({ img_channels: 1 }).image;
    expect(() => imageTargetForShape(['N', 3, 'h', 'w'], defaults, 'x')).toThrow(expect.objectContaining({ kind: 'conflict', code: 'image_size_unknown', message: expect.stringMatching(/img_width/) }));
    expect(() => imageTargetForShape(['N', 10], grey, 'x')).toThrow(expect.objectContaining({ kind: 'conflict', message: expect.stringMatching(/not a square image/) }));
  });

  it.each([
    ['a row of 16 features', ['N', 16], 'float32'],
    ['a row of 3 features', ['N', 3], 'float32'],
    ['a row of 4 features, as iris takes', [1, 4], 'float32'],
    ['a sequence', ['N', 10, 3], 'float32'],
    ['a rank-4 input with no channel axis', ['N', 5, 5, 5], 'float32'],
    ['a rank-5 input', ['N', 4, 4, 4, 4], 'float32'],
    ['a scalar', [], 'float32'],
    ['strings', ['N', 1, 4, 4], 'string'],
    ['booleans', ['N', 1, 4, 4], 'bool'],
  ])('answers 400, never a reshaped guess, for an image sent to %s', (_what, shape, type) => {
    expect(() => imageTargetForShape(shape, defaults, 'x', type)).toThrow(expect.objectContaining({
      kind: 'invalid', code: 'image_not_accepted', message: expect.stringMatching(/takes no image; send its input as JSON/),
    }));
  });
});

describe('imageToTensor', () => {
  const picture = patternImage(2, 2, 3, 9);
  const image = { bytes: encodePng(enlarge(picture, 3)), format: 'png' as const };
  const pixel = (x: number, y: number, c: number): number => picture.values[(y * 2 + x) * 3 + c]!;

  it('lays channels out planar for NCHW and interleaved for NHWC', () => {
    const nchw = imageToTensor(image, imageTargetForShape(['N', 3, 2, 2], defaults, 'x'), { ...defaults, scale: 1 }, { maxImagePixels: 1e6, maxInputElements: 1e6 });
    const nhwc = imageToTensor(image, imageTargetForShape(['N', 2, 2, 3], defaults, 'x'), { ...defaults, scale: 1 }, { maxImagePixels: 1e6, maxInputElements: 1e6 });
    expect(nchw.shape).toEqual([1, 3, 2, 2]);
    expect(nhwc.shape).toEqual([1, 2, 2, 3]);
    for (let c = 0; c < 3; c += 1) {
      for (let y = 0; y < 2; y += 1) {
        for (let x = 0; x < 2; x += 1) {
          expect(nchw.data[c * 4 + y * 2 + x]).toBeCloseTo(pixel(x, y, c), 9);
          expect(nhwc.data[(y * 2 + x) * 3 + c]).toBeCloseTo(pixel(x, y, c), 9);
        }
      }
    }
  });

  it('converts to grey with BT.601 weights, then scales and normalises', () => {
    const params = readModelParams({ mean: 0.5, std: 0.25 }).image;
    const grey = imageToTensor(image, imageTargetForShape(['N', 1, 2, 2], params, 'x'), params, { maxImagePixels: 1e6, maxInputElements: 1e6 });
    const luma = (x: number, y: number) => 0.299 * pixel(x, y, 0) + 0.587 * pixel(x, y, 1) + 0.114 * pixel(x, y, 2);
    expect(Array.from(grey.data)).toEqual([luma(0, 0), luma(1, 0), luma(0, 1), luma(1, 1)].map((value) => expect.closeTo((value / 255 - 0.5) / 0.25, 9)));
  });

  it('refuses an image with more pixels than allowed with 413, before decoding it', () => {
    expect(() => imageToTensor(image, imageTargetForShape(['N', 1, 2, 2], defaults, 'x'), defaults, { maxImagePixels: 35, maxInputElements: 1e6 })).toThrow(expect.objectContaining({ kind: 'too_large' }));
  });

  it('refuses a target that would be more numbers than an input may hold with 413 input_too_large, before decoding (review 14c finding 3: a 28×28 PNG prepared as 4096×4096×4)', () => {
    const decodes = { bytes: Buffer.from('not an image'), format: 'png' as const };
    const target = imageTargetFromParams(readModelParams({ img_width: 4096, img_height: 4096, img_channels: 4, img_layout: 'flat' }).image, 'sagemaker');
    expect(() => imageToTensor(decodes, target, defaults, { maxImagePixels: 4096 * 4096, maxInputElements: 1_000_000 }))
      .toThrow(expect.objectContaining({ kind: 'too_large', code: 'input_too_large', message: expect.stringContaining('67108864 numbers') }));
    // Within both bounds, the same bytes get as far as decoding, which refuses them for what they are.
    let decoded: unknown;
    try {
      imageToTensor(decodes, imageTargetForShape(['N', 1, 2, 2], defaults, 'x'), defaults, { maxImagePixels: 35, maxInputElements: 1e6 });
    } catch (error) {
      decoded = error;
    }
    expect(decoded).toBeDefined();
    expect((decoded as { code?: string }).code).not.toBe('input_too_large');
  });
});
