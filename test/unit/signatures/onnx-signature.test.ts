import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { datatypeOfOnnxElement, type ModelSignature, type SignatureFinding, type TensorSpec } from '../../../functions/signatures/model-signature';
import { ONNX_CAPTURE_BYTES, OnnxSignatureReader } from '../../../functions/signatures/onnx-signature';
import { dataType, onnxModel } from '../../../scripts/models/onnx-graph';
import { mlpClassifierOnnx } from '../../../bench/support/mlp-model';
import { namedInputsModel, typedInputsModel, TYPED_INPUTS } from '../../support/inference/test-models';

const { onnx } = onnxProto;

/** Feeds the bytes in chunks of `chunk` bytes, as a tar entry's stream would. */
function read(bytes: Uint8Array, chunk = 64 * 1024): SignatureFinding {
  const reader = new OnnxSignatureReader();
  const buffer = Buffer.from(bytes);
  for (let at = 0; at < buffer.length; at += chunk) reader.write(buffer.subarray(at, at + chunk));
  return reader.finish();
}

function signatureOf(bytes: Uint8Array, chunk?: number): ModelSignature {
  const finding = read(bytes, chunk);
  if (finding.signature === null) throw new Error(`no signature: ${finding.reason}`);
  expect(finding).toMatchObject({ source: 'onnx' });
  return finding.signature;
}

/**
 * The same signature worked out independently with onnx-proto's full decoder (protobuf.js), the
 * library the repo's scripts write models with: graph inputs less initializers, and outputs.
 */
function decodedSignature(bytes: Uint8Array): ModelSignature {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const initializers = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  const spec = (value: onnxProto.onnx.IValueInfoProto): TensorSpec => {
    const tensor = value.type?.tensorType;
    return {
      name: value.name ?? '',
      datatype: tensor ? datatypeOfOnnxElement(tensor.elemType ?? 0) : null,
      shape: tensor?.shape ? (tensor.shape.dim ?? []).map((dim) => (dim.dimParam ? dim.dimParam : dim.dimValue !== undefined && dim.dimValue !== null ? Number(dim.dimValue) : null)) : null,
    };
  };
  return { inputs: (graph.input ?? []).filter((input) => !initializers.has(input.name ?? '')).map(spec), outputs: (graph.output ?? []).map(spec) };
}

/** The demo model the seed uploads: models/demo/mnist.tar.gz's mnist/model.onnx, taken out of the tar. */
function demoModel(): Buffer {
  const tar = gunzipSync(readFileSync(new URL('../../../models/demo/mnist.tar.gz', import.meta.url)));
  for (let at = 0; at + 512 <= tar.length;) {
    const name = tar.subarray(at, at + 100).toString('latin1').replace(/\0.*$/s, '');
    const size = Number.parseInt(tar.subarray(at + 124, at + 136).toString('latin1').trim(), 8) || 0;
    if (name === 'mnist/model.onnx') return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error('mnist/model.onnx not found in the demo bundle');
}

describe('OnnxSignatureReader', () => {
  it("reads the demo model's input and output, with the symbolic batch dimension", () => {
    const bytes = demoModel();
    const expected = {
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: ['N', 1, 28, 28] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['N', 10] }],
    };
    expect(signatureOf(bytes)).toEqual(expected);
    expect(decodedSignature(bytes)).toEqual(expected);
  });

  it('reads the same signature whatever the chunk size, one byte at a time included', () => {
    const bytes = mlpClassifierOnnx(16);
    const whole = signatureOf(bytes, bytes.length);
    expect(whole).toEqual(decodedSignature(bytes));
    for (const chunk of [1, 2, 3, 7, 100]) expect(signatureOf(bytes, chunk)).toEqual(whole);
  });

  it('reads several inputs and outputs of different types, leaving out the initializers', () => {
    const bytes = namedInputsModel();
    expect(signatureOf(bytes)).toEqual({
      inputs: [{ name: 'a', datatype: 'FP32', shape: ['N', 3] }, { name: 'count', datatype: 'INT64', shape: ['N', 1] }],
      outputs: [{ name: 'sum', datatype: 'FP32', shape: ['N', 1] }, { name: 'scaled', datatype: 'FP32', shape: ['N', 3] }],
    });
  });

  it("names every element type MLHub feeds by the Open Inference Protocol's datatype", () => {
    const oip: Record<(typeof TYPED_INPUTS)[number], string> = {
      float16: 'FP16', float32: 'FP32', float64: 'FP64', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
      uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL',
    };
    const signature = signatureOf(typedInputsModel());
    expect(signature.inputs.map((input) => [input.name, input.datatype])).toEqual(TYPED_INPUTS.map((type) => [`in_${type}`, oip[type]]));
    expect(signature.outputs.map((output) => output.datatype)).toEqual(TYPED_INPUTS.map((type) => oip[type]));
  });

  it('leaves out initializers an older exporter also lists as graph inputs', () => {
    const bytes = onnxModel({
      name: 'old_exporter',
      inputs: [
        { name: 'x', type: 'float32', shape: ['batch', 3] },
        { name: 'W', type: 'float32', shape: [3, 2] },
        { name: 'b', type: 'float32', shape: [2] },
      ],
      outputs: [{ name: 'y', type: 'float32', shape: ['batch', 2] }],
      initializers: [
        { name: 'W', type: 'float32', dims: [3, 2], values: [1, 2, 3, 4, 5, 6] },
        { name: 'b', type: 'float32', dims: [2], values: [0, 1] },
      ],
      nodes: [{ op: 'Gemm', inputs: ['x', 'W', 'b'], outputs: ['y'] }],
    });
    expect(decodedSignature(bytes).inputs.map((input) => input.name)).toEqual(['x']);
    expect(signatureOf(bytes).inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: ['batch', 3] }]);
  });

  it('says null for unknown dimensions, unknown ranks, non-tensor values and types OIP does not name', () => {
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'odd_values',
        input: [
          { name: 'text', type: { tensorType: { elemType: onnx.TensorProto.DataType.STRING, shape: { dim: [{ dimParam: 'N' }, {}] } } } },
          { name: 'any_rank', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } },
          { name: 'complex', type: { tensorType: { elemType: onnx.TensorProto.DataType.COMPLEX64, shape: { dim: [{ dimValue: 2 }] } } } },
        ],
        output: [
          { name: 'probabilities', type: { sequenceType: { elemType: { mapType: { keyType: dataType('int64'), valueType: { tensorType: { elemType: dataType('float32') } } } } } } },
        ],
      },
    })).finish();
    expect(signatureOf(bytes)).toEqual({
      inputs: [
        { name: 'text', datatype: 'BYTES', shape: ['N', null] },
        { name: 'any_rank', datatype: 'FP32', shape: null },
        { name: 'complex', datatype: null, shape: [2] },
      ],
      outputs: [{ name: 'probabilities', datatype: null, shape: null }],
    });
  });

  it('gives no signature, without throwing, for a file cut anywhere inside its graph', () => {
    const bytes = Buffer.from(namedInputsModel());
    const full = signatureOf(bytes);
    // The graph (ModelProto field 7) ends where opset_import (field 8, tag 0x42) starts; protobuf.js writes fields in number order.
    const graphEnd = bytes.lastIndexOf(0x42);
    let truncated = 0;
    for (let length = 1; length < bytes.length; length += 1) {
      const finding = read(bytes.subarray(0, length), 5);
      if (finding.signature === null) {
        truncated += 1;
        expect(finding.reason).toMatch(/truncated|not an ONNX model|could not be read/);
      } else {
        // A cut between top-level fields leaves a complete graph: the signature is whole then.
        expect(length).toBeGreaterThanOrEqual(graphEnd);
        expect(finding.signature).toEqual(full);
      }
    }
    expect(truncated).toBeGreaterThanOrEqual(graphEnd - 1);
  });

  it('gives no signature, without throwing, for bytes that are not an ONNX model', () => {
    const samples = [
      Buffer.from('not really onnx, but bytes'),
      Buffer.from('{"inputs": []}'),
      Buffer.alloc(0),
      Buffer.from([0x3a, 0x05, 0x5a, 0x03, 0x0a, 0x01]), // graph → input → field 1 running past its message
      Buffer.from([0x3a, 0x04, 0x62, 0x02, 0x0a, 0xff]), // an output whose name's length runs past it
    ];
    for (const bytes of samples) {
      const finding = read(bytes, 3);
      expect(finding.signature).toBeNull();
      expect(finding).toHaveProperty('reason');
    }
  });

  it('reads inputs that come after an initializer larger than everything it keeps, with memory bounded by ONNX_CAPTURE_BYTES', () => {
    const values = ONNX_CAPTURE_BYTES / 4 + 1024;
    const bytes = Buffer.from(onnxModel({
      name: 'big_weights',
      inputs: [{ name: 'features_in', type: 'float32', shape: ['N', values] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['N', 1] }],
      initializers: [{ name: 'W', type: 'float32', dims: [values, 1], values: new Array<number>(values).fill(0.5) }],
      nodes: [{ op: 'MatMul', inputs: ['features_in', 'W'], outputs: ['y'] }],
    }));
    // The point of the test: the weights, more than the reader may keep, sit before the graph's inputs.
    expect(bytes.length).toBeGreaterThan(ONNX_CAPTURE_BYTES);
    expect(bytes.lastIndexOf('features_in')).toBeGreaterThan(ONNX_CAPTURE_BYTES);
    expect(signatureOf(bytes)).toEqual({
      inputs: [{ name: 'features_in', datatype: 'FP32', shape: ['N', values] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', 1] }],
    });
  });

  it('gives no signature, with the reason, when the names it must keep pass ONNX_CAPTURE_BYTES', () => {
    const count = Math.ceil(ONNX_CAPTURE_BYTES / 1000) + 10;
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({
      irVersion: 8,
      graph: {
        name: 'many_names',
        initializer: Array.from({ length: count }, (_, index) => ({ name: `${'w'.repeat(1000)}${index}`, dims: [1], dataType: dataType('float32'), floatData: [0] })),
        input: [{ name: 'x', type: { tensorType: { elemType: dataType('float32'), shape: { dim: [{ dimValue: 1 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: dataType('float32'), shape: { dim: [{ dimValue: 1 }] } } } }],
      },
    })).finish();
    const finding = read(bytes);
    expect(finding.signature).toBeNull();
    expect(finding).toMatchObject({ reason: expect.stringContaining(`${ONNX_CAPTURE_BYTES} bytes`) });
  });
});
