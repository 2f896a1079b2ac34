import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE_LIMITS } from '../../../functions/bundles/bundle-limits';
import { inspectBundle } from '../../../functions/bundles/inspect-bundle';
import { MAX_ONNX_FILES_READ } from '../../../functions/signatures/bundle-signature';
import { declaredSignature } from '../../../functions/signatures/declared-signature';
import { MAX_SIGNATURE_JSON_BYTES } from '../../../functions/signatures/model-signature';
import { onnxModel } from '../../../scripts/models/onnx-graph';
import { namedInputsModel } from '../../support/inference/test-models';
import { makeTarGz, type TarEntry } from '../../support/tarballs';

const inspect = async (entries: TarEntry[]) => (await inspectBundle(Readable.from([await makeTarGz(entries)]), DEFAULT_BUNDLE_LIMITS)).manifest;

/** A one-input, one-output identity model whose tensors are named after `tag`. */
const identity = (tag: string, shape: (number | string)[] = ['N', 4]) => Buffer.from(onnxModel({
  name: tag,
  inputs: [{ name: `${tag}_in`, type: 'float32', shape }],
  outputs: [{ name: `${tag}_out`, type: 'float32', shape }],
  nodes: [{ op: 'Identity', inputs: [`${tag}_in`], outputs: [`${tag}_out`] }],
}));

const NAMED_SIGNATURE = {
  inputs: [{ name: 'a', datatype: 'FP32', shape: ['N', 3] }, { name: 'count', datatype: 'INT64', shape: ['N', 1] }],
  outputs: [{ name: 'sum', datatype: 'FP32', shape: ['N', 1] }, { name: 'scaled', datatype: 'FP32', shape: ['N', 3] }],
};

describe("a bundle's signature, recorded in its manifest", () => {
  it('is read from the .onnx file the built-in runtime would run, inside the bundle folder', async () => {
    const manifest = await inspect([
      { name: 'm/', type: 'directory' },
      { name: 'm/model.onnx', content: Buffer.from(namedInputsModel()) },
      { name: 'm/params.json', content: JSON.stringify({ inputs: [{ name: 'ignored', datatype: 'FP32', shape: [1] }] }) },
    ]);
    expect(manifest.signature).toEqual({ source: 'onnx', signature: NAMED_SIGNATURE });
  });

  it("follows params.json's \"model\" among several .onnx files, even when params.json comes last", async () => {
    const manifest = await inspect([
      { name: 'first.onnx', content: identity('first') },
      { name: 'second.onnx', content: identity('second', [1, 2]) },
      { name: 'params.json', content: JSON.stringify({ model: 'second.onnx' }) },
    ]);
    expect(manifest.signature).toEqual({
      source: 'onnx',
      signature: { inputs: [{ name: 'second_in', datatype: 'FP32', shape: [1, 2] }], outputs: [{ name: 'second_out', datatype: 'FP32', shape: [1, 2] }] },
    });
  });

  it('is null with the reason for a model file that is not ONNX, and the bundle is still accepted', async () => {
    const manifest = await inspect([{ name: 'model.onnx', content: 'not really onnx, but bytes' }]);
    expect(manifest.builtinRuntime).toMatchObject({ runnable: true });
    expect(manifest.signature).toMatchObject({ signature: null, reason: expect.stringContaining('ONNX') });
  });

  it(`is null with the reason when the model file comes after the first ${MAX_ONNX_FILES_READ} .onnx files`, async () => {
    const others = Array.from({ length: MAX_ONNX_FILES_READ }, (_, index) => ({ name: `other${index}.onnx`, content: identity(`other${index}`) }));
    const manifest = await inspect([...others, { name: 'model.onnx', content: identity('chosen') }]);
    expect(manifest.builtinRuntime).toMatchObject({ runnable: true, modelFiles: ['model.onnx'] });
    expect(manifest.signature).toMatchObject({ signature: null, reason: expect.stringContaining(`first ${MAX_ONNX_FILES_READ} .onnx files`) });
  });

  it(`is null with the reason when it would take more than ${MAX_SIGNATURE_JSON_BYTES} bytes`, async () => {
    const many = Array.from({ length: 800 }, (_, index) => ({ name: `input_${index}_${'x'.repeat(60)}`, type: 'float32' as const, shape: ['N', 1] }));
    const model = Buffer.from(onnxModel({ name: 'wide', inputs: many, outputs: [{ name: 'y', type: 'float32', shape: ['N', 1] }], nodes: [{ op: 'Identity', inputs: [many[0]!.name], outputs: ['y'] }] }));
    const manifest = await inspect([{ name: 'model.onnx', content: model }]);
    expect(manifest.signature).toMatchObject({ signature: null, reason: expect.stringContaining('800 inputs, 1 outputs') });
  });

  it('is taken from params.json for a bundle without an ONNX model file', async () => {
    const manifest = await inspect([
      { name: 'model.pt', content: 'weights' },
      { name: 'params.json', content: JSON.stringify({ inputs: [{ name: 'input-0', datatype: 'fp32', shape: [-1, 4] }], outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1] }] }) },
    ]);
    expect(manifest.signature).toEqual({
      source: 'params.json',
      signature: { inputs: [{ name: 'input-0', datatype: 'FP32', shape: [null, 4] }], outputs: [{ name: 'output-0', datatype: 'INT64', shape: [null] }] },
    });
  });

  it('is null with the reason for a bundle with neither an ONNX file nor declarations', async () => {
    const manifest = await inspect([{ name: 'model.pt', content: 'weights' }]);
    expect(manifest.signature).toMatchObject({ signature: null, reason: expect.stringContaining('no ONNX model file') });
  });
});

describe('declaredSignature (params.json)', () => {
  it("takes names alone from TFaaS's input_name/inputNode and output_name/outputNode", () => {
    expect(declaredSignature({ inputNode: 'input_1_1', output_name: 'output_node0' })).toEqual({
      source: 'params.json',
      signature: { inputs: [{ name: 'input_1_1', datatype: null, shape: null }], outputs: [{ name: 'output_node0', datatype: null, shape: null }] },
    });
  });

  it('keeps symbolic dimensions and null, and leaves out an undeclared side', () => {
    expect(declaredSignature({ inputs: [{ name: 'text', datatype: 'BYTES', shape: ['batch', null] }] })).toEqual({
      source: 'params.json',
      signature: { inputs: [{ name: 'text', datatype: 'BYTES', shape: ['batch', null] }], outputs: [] },
    });
  });

  it('names the field of a declaration it cannot read, and gives no signature', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ inputs: 'x' }, 'params.json "inputs" must be a list'],
      [{ inputs: [{ datatype: 'FP32' }] }, 'params.json "inputs"[0].name must be a non-empty string'],
      [{ outputs: [{ name: 'y', datatype: 'FLOAT' }] }, 'params.json "outputs"[0].datatype must be one of'],
      [{ inputs: [{ name: 'x', shape: [2, -3] }] }, 'params.json "inputs"[0].shape[1] must be a size'],
      [{ inputs: [{ name: 'x', shape: 4 }] }, 'params.json "inputs"[0].shape must be a list'],
    ];
    for (const [params, reason] of cases) {
      const finding = declaredSignature(params);
      expect(finding.signature).toBeNull();
      expect(finding).toMatchObject({ reason: expect.stringContaining(reason) });
    }
  });
});
