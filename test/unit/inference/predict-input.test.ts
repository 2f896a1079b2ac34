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
    expect(input).toEqual({ kind: 'rows', single: true, field: 'input', rows: { shape: [1, 3], data: Float64Array.from([1, 2.5, 1]) } });
  });

  it('reads a batch of rows, of any rank, along the first axis', () => {
    expect(parse({ input: [[1, 2], [3, 4], [5, 6]] })).toEqual({ kind: 'rows', single: false, field: 'input', rows: { shape: [3, 2], data: Float64Array.from([1, 2, 3, 4, 5, 6]) } });
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

  it('reads TF Serving\'s {"instances"} as a batch, one row per element', () => {
    expect(parse({ instances: [[1, 2], [3, 4]] })).toEqual({ kind: 'rows', single: false, field: 'instances', rows: { shape: [2, 2], data: Float64Array.from([1, 2, 3, 4]) } });
    expect(parse({ instances: [1, 2, 3] })).toEqual({ kind: 'rows', single: false, field: 'instances', rows: { shape: [3], data: Float64Array.from([1, 2, 3]) } });
    expect(failure(() => parse({ instances: [[1, 2], [3, 'NaN']] })).message).toContain('instances[1][1] is the string "NaN"');
  });

  it('reads TFaaS\'s {"keys", "values"} as one vector', () => {
    expect(parse({ keys: ['a', 'b'], values: [0.5, 1] })).toEqual({ kind: 'rows', single: true, field: 'values', rows: { shape: [1, 2], data: Float64Array.from([0.5, 1]) } });
  });

  it.each([
    [[1, 2], 'must be a JSON object'],
    [{}, 'has no "input" or "inputs"'],
    [{ input: [1], inputs: { a: [1] } }, 'Send one of "input" and "inputs"'],
    [{ input: 5 }, '"input" must be an array'],
    [{ input: [] }, 'holds an empty array'],
    [{ input: [[1, 2], [3]] }, 'input[1] has 1 values where 2 were expected'],
    [{ input: [[1, 2], 3] }, 'input[1] has a single value where 2 were expected'],
    [{ input: [1, 'two'] }, 'must hold only numbers (or booleans), found the string "two"'],
    [{ input: [1, null] }, 'found null'],
    [{ inputs: [1] }, '"inputs" must be an object'],
    [{ inputs: {} }, 'names no input'],
    [{ inputs: { a: 'x' } }, 'inputs.a must hold only numbers'],
    [{ values: [[1], [2]] }, 'must be one flat vector'],
  ])('refuses %j with 400: %s', (body, message) => {
    const error = failure(() => parse(body));
    expect(error.kind).toBe('invalid');
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(message);
  });

  it.each([
    // JSON has no NaN or Infinity; they arrive as strings, or as a literal JSON.parse overflows to Infinity.
    ['{"input": [[1, 2], [3, "NaN"]]}', 'input[1][1] is the string "NaN"'],
    ['{"input": [1, "Infinity"]}', 'input[1] is the string "Infinity"'],
    ['{"input": ["-inf", 1]}', 'input[0] is the string "-inf"'],
    ['{"input": [[0, 0], [0, 1e400]]}', 'input[1][1] is beyond the range of any number type'],
    ['{"input": [-1e999]}', 'input[0] is beyond the range of any number type'],
    ['{"inputs": {"x": [[1, 2, "nan"]]}}', 'inputs.x[0][2] is the string "nan"'],
    ['{"inputs": {"x": 1e309}}', 'inputs.x is beyond the range of any number type'],
    ['{"values": [1, 2, "1e39"]}', 'values[2] must hold only numbers'],
  ])('refuses the non-finite value in %s with 400 naming its position', (text, message) => {
    const error = failure(() => parse(JSON.parse(text)));
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

  const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
  const webp = Buffer.concat([Buffer.from('RIFF\x1a\x00\x00\x00WEBPVP8L', 'latin1'), Buffer.alloc(14)]);
  const bmp = Buffer.concat([Buffer.from('BM', 'latin1'), Buffer.alloc(60)]);
  const png = encodePng(patternImage(3, 3, 1));
  const jpg = encodeJpeg(patternImage(3, 3, 3));
  it.each([
    ['a GIF', gif, 'image/gif', 'is a GIF file (sent as image/gif)'],
    ['a GIF labelled image/png', gif, 'image/png', 'is a GIF file (sent as image/png)'],
    ['a WebP', webp, 'image/webp', 'is a WebP file'],
    ['a BMP', bmp, 'image/bmp', 'is a BMP file'],
    ['garbage bytes labelled image/png', Buffer.from('not an image at all'), 'image/png', 'neither PNG nor JPEG (sent as image/png)'],
    ['garbage bytes labelled image/jpeg', Buffer.from([0xff, 0xd8, 0x00, 0x01]), 'image/jpeg', 'neither PNG nor JPEG (sent as image/jpeg)'],
    ['a JPEG labelled image/png', jpg, 'image/png', 'sent as image/png, but its bytes are a JPEG file: send it as image/jpeg'],
    ['a PNG labelled image/jpeg', png, 'image/jpeg', 'sent as image/jpeg, but its bytes are a PNG file: send it as image/png'],
    ['a PNG labelled text/plain', png, 'text/plain', 'sent as text/plain'],
  ])('refuses %s with 415 naming the formats MLHub reads', (_what, bytes, type, message) => {
    const error = failure(() => parseImageInput(bytes, type, limits));
    expect(error.kind).toBe('unsupported_media_type');
    expect(error.code).toBe('unsupported_image_type');
    expect(error.message).toContain(message);
    expect(error.message).toContain('MLHub reads PNG (image/png) and JPEG (image/jpeg) images');
    expect(error.message).not.toMatch(/a image|file that is not PNG or JPEG/);
  });

  it('refuses empty images with 400 and large ones with 413', () => {
    expect(failure(() => parseImageInput(Buffer.alloc(0), 'image/png', limits)).kind).toBe('invalid');
    expect(failure(() => parseImageInput(encodePng(patternImage(300, 300, 3)), 'image/png', { maxImageBytes: 1000 })).kind).toBe('too_large');
  });
});
