import { describe, expect, it } from 'vitest';
import { parseImageInput, parseJsonInput } from '../../../functions/inference/predict-input';
import { encodeJpeg, encodePng, patternImage } from '../../support/inference/images';

const limits = { maxInputElements: 1000, maxImageBytes: 100_000 };
const parse = (body: unknown) => parseJsonInput(body, limits);

function failure(run: () => unknown): { kind: string; code: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { kind: string; code: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('parseJsonInput', () => {
  it('reads one vector as a single row', () => {
    const input = parse({ input: [1, 2.5, true] });
    expect(input).toEqual({ kind: 'rows', single: true, rows: { shape: [1, 3], data: Float64Array.from([1, 2.5, 1]) } });
  });

  it('reads a batch of rows, of any rank, along the first axis', () => {
    expect(parse({ input: [[1, 2], [3, 4], [5, 6]] })).toEqual({ kind: 'rows', single: false, rows: { shape: [3, 2], data: Float64Array.from([1, 2, 3, 4, 5, 6]) } });
    const images = parse({ input: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]] });
    expect(images.kind === 'rows' && images.rows.shape).toEqual([2, 2, 2]);
  });

  it('reads named tensors as given, scalars included', () => {
    const input = parse({ inputs: { a: [[1, 2]], b: 3 } });
    expect(input.kind).toBe('named');
    if (input.kind !== 'named') return;
    expect(input.tensors.get('a')).toEqual({ shape: [1, 2], data: Float64Array.from([1, 2]) });
    expect(input.tensors.get('b')).toEqual({ shape: [], data: [3] });
  });

  it('reads TFaaS\'s {"keys", "values"} as one vector', () => {
    expect(parse({ keys: ['a', 'b'], values: [0.5, 1] })).toEqual({ kind: 'rows', single: true, rows: { shape: [1, 2], data: Float64Array.from([0.5, 1]) } });
  });

  it.each([
    [[1, 2], 'must be a JSON object'],
    [{}, 'has no "input" or "inputs"'],
    [{ input: [1], inputs: { a: [1] } }, 'Send one of "input" and "inputs"'],
    [{ input: 5 }, '"input" must be an array'],
    [{ input: [] }, 'holds an empty array'],
    [{ input: [[1, 2], [3]] }, '"input"[1] has 1 values where 2 were expected'],
    [{ input: [[1, 2], 3] }, '"input"[1] has a single value where 2 were expected'],
    [{ input: [1, 'two'] }, 'must hold only numbers (or booleans), found the string "two"'],
    [{ input: [1, null] }, 'found null'],
    [{ inputs: [1] }, '"inputs" must be an object'],
    [{ inputs: {} }, 'names no input'],
    [{ inputs: { a: 'x' } }, '"inputs.a" must hold only numbers'],
    [{ values: [[1], [2]] }, 'must be one flat vector'],
  ])('refuses %j with 400: %s', (body, message) => {
    const error = failure(() => parse(body));
    expect(error.kind).toBe('invalid');
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(message);
  });

  it('refuses more numbers than the limit with 413, counting all named inputs together', () => {
    expect(failure(() => parse({ input: new Array(1001).fill(0) })).kind).toBe('too_large');
    expect(failure(() => parse({ inputs: { a: new Array(600).fill(0), b: new Array(600).fill(0) } })).kind).toBe('too_large');
    expect(parse({ input: new Array(1000).fill(0) }).kind).toBe('rows');
  });
});

describe('parseImageInput', () => {
  it('recognises PNG and JPEG by their bytes, whatever the declared type', () => {
    const png = encodePng(patternImage(3, 3, 1));
    const jpg = encodeJpeg(patternImage(3, 3, 3));
    expect(parseImageInput(png, 'image/png', limits)).toMatchObject({ kind: 'image', image: { format: 'png' } });
    expect(parseImageInput(jpg, 'application/octet-stream', limits)).toMatchObject({ kind: 'image', image: { format: 'jpeg' } });
    expect(parseImageInput(jpg, undefined, limits)).toMatchObject({ kind: 'image', image: { format: 'jpeg' } });
  });

  it('refuses other formats with 415, empty images with 400, and large ones with 413', () => {
    expect(failure(() => parseImageInput(Buffer.from('GIF89a...'), 'image/gif', limits)).kind).toBe('unsupported_media_type');
    expect(failure(() => parseImageInput(encodePng(patternImage(3, 3, 1)), 'text/plain', limits)).kind).toBe('unsupported_media_type');
    expect(failure(() => parseImageInput(Buffer.alloc(0), 'image/png', limits)).kind).toBe('invalid');
    expect(failure(() => parseImageInput(encodePng(patternImage(300, 300, 3)), 'image/png', { maxImageBytes: 1000 })).kind).toBe('too_large');
  });
});
