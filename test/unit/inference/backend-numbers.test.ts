import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBackendJson } from '../../../functions/inference/backends/backend-json';
import { jsonNumberFromText } from '../../../functions/inference/output-values';
import { parseImageInput } from '../../../functions/inference/predict-input';
import { encodePng, patternImage } from '../../support/inference/images';
import { startProtocolServer, type ProtocolServer } from '../../support/inference/protocol-server';
import { jsonBody, rejectionOf, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';

describe('parseBackendJson', () => {
  it('reads the NaN and Infinity literals Python writes, and keeps integers past 2^53 exact, as strings', () => {
    const text = '{"a": NaN, "b": [Infinity, -Infinity, 1.5], "big": 9223372036854775807, "neg": -9223372036854775808, ' +
      '"safe": 9007199254740991, "float": 1.5e300, "huge": 1e400, "zero": -0.0}';
    expect(parseBackendJson(text)).toEqual({
      a: 'NaN', b: ['Infinity', '-Infinity', 1.5], big: '9223372036854775807', neg: '-9223372036854775808',
      safe: 9007199254740991, float: 1.5e300, huge: '1e400', zero: -0,
    });
  });

  it('leaves strings alone, escaped quotes included', () => {
    const text = '["NaN", "he said \\"Infinity\\" and 99999999999999999999", "\\\\", 99999999999999999999]';
    expect(parseBackendJson(text)).toEqual(['NaN', 'he said "Infinity" and 99999999999999999999', '\\', '99999999999999999999']);
  });

  it('gives what JSON.parse gives for plain JSON, and still refuses what is not JSON', () => {
    const plain = '{"x": [1, -2, 3.25e-5, true, null, "s"], "y": {"z": 0}}';
    expect(parseBackendJson(plain)).toEqual(JSON.parse(plain));
    for (const broken of ['{"a": nan}', '{"a": 1', 'NaNa', '[01]', '"open']) expect(() => parseBackendJson(broken)).toThrow(SyntaxError);
  });
});

describe('jsonNumberFromText', () => {
  it.each([
    ['1.5', 1.5], ['nan', 'NaN'], ['-inf', '-Infinity'], ['Infinity', 'Infinity'], [' 42 ', 42],
    ['18446744073709551615', '18446744073709551615'], ['+9007199254740993', '9007199254740993'], ['2e400', '2e400'],
    ['', undefined], ['abc', undefined], ['1,5', undefined],
  ])('reads %j as %j', (text, value) => {
    expect(jsonNumberFromText(text)).toEqual(value);
  });
});

describe('numbers through a remote backend (Open Inference Protocol)', () => {
  let server: ProtocolServer;
  let fixture: RemoteFixture;

  beforeAll(async () => {
    // An MLServer-like server whose Python encoder writes NaN as a bare literal and int64 in full.
    server = await startProtocolServer(() => ({
      text: '{"model_name": "m", "outputs": [{"name": "scores", "shape": [1, 3], "datatype": "FP64", "data": [NaN, Infinity, 0.5]},' +
        ' {"name": "ids", "shape": [1, 1], "datatype": "INT64", "data": [9223372036854775807]}]}',
    }));
    fixture = await remoteFixture({ labels: ['a', 'b', 'c'], params: { output_name: 'scores' } });
  });

  afterAll(async () => {
    await server.close();
    await fixture.remove();
  });

  it('passes non-finite scores and large int64 values on exactly, and chooses no label from NaN', async () => {
    const result = await fixture.predict({ kind: 'oip', url: server.url, model: 'm' }, fixture.json({ input: [1, 2, 3] }));
    expect(result.predictions).toEqual([{ outputs: { scores: ['NaN', 'Infinity', 0.5], ids: ['9223372036854775807'] } }]);
  });

  it('refuses, before calling the backend, a value its declared datatype cannot hold, naming its position', async () => {
    const before = server.requests.length;
    const fp32 = await rejectionOf(fixture.predict({ kind: 'oip', url: server.url, model: 'm' }, fixture.json({ input: [[1, 2], [3, 1e39]] })));
    expect(fp32).toMatchObject({ kind: 'invalid', code: 'invalid_input' });
    expect(fp32.message).toContain('input[1][1] is 1e+39');
    expect(fp32.message).toContain('FP32');
    const int8 = await rejectionOf(fixture.predict({ kind: 'oip', url: server.url, model: 'm', datatype: 'INT8' }, fixture.json({ inputs: { x: [[1, 128]] } })));
    expect(int8.message).toContain('inputs.x[0][1] is 128');
    expect(server.requests.length).toBe(before);
    // A value the datatype holds goes through as sent.
    await fixture.predict({ kind: 'oip', url: server.url, model: 'm', datatype: 'FP64' }, fixture.json({ input: [1e39] }));
    expect(jsonBody(server.requests.at(-1)!.body)).toMatchObject({ inputs: [{ datatype: 'FP64', data: [1e39] }] });
  });
});

describe('numbers through a remote backend (TFaaS image answer)', () => {
  it('keeps a NaN probability, and chooses no label from it', async () => {
    const server = await startProtocolServer(() => ({ text: '{"filename": "x.png", "labels": [{"label": "7", "probability": NaN}, {"label": "1", "probability": 0.2}]}' }));
    const fixture = await remoteFixture();
    try {
      const image = parseImageInput(encodePng(patternImage(4, 4, 1)), 'image/png', fixture.config.limits);
      const result = await fixture.predict({ kind: 'tfaas', url: server.url, model: 'mnist' }, image);
      expect(result.predictions).toEqual([{ output: [{ label: '7', probability: 'NaN' }, { label: '1', probability: 0.2 }] }]);
    } finally {
      await server.close();
      await fixture.remove();
    }
  });
});
