import { linearClassifierOnnx } from '../../../scripts/models/linear-classifier';
import { onnxModel } from '../../../scripts/models/onnx-graph';
import { asFloat32, seededValues } from './reference';

export interface LinearTestModel {
  readonly onnx: Uint8Array;
  readonly weights: number[];
  readonly bias: number[];
}

/** A linear classifier with reproducible random weights, as stored (float32). */
export function linearTestModel(options: { inputName: string; inputShape: (number | string)[]; outputName: string; features: number; classes: number; softmax: boolean; seed: number }): LinearTestModel {
  const weights = asFloat32(seededValues(options.features * options.classes, options.seed).map((value) => value * 0.2));
  const bias = asFloat32(seededValues(options.classes, options.seed + 1));
  const onnx = linearClassifierOnnx({ ...options, weights, bias });
  return { onnx, weights, bias };
}

/**
 * Two named inputs of different types and two outputs:
 *   sum    = ReduceSum(a, axis 1, keepdims) + float(count)   [N, 1]
 *   scaled = a × 2                                            [N, 3]
 */
export function namedInputsModel(): Uint8Array {
  return onnxModel({
    name: 'named_inputs',
    inputs: [
      { name: 'a', type: 'float32', shape: ['N', 3] },
      { name: 'count', type: 'int64', shape: ['N', 1] },
    ],
    outputs: [
      { name: 'sum', type: 'float32', shape: ['N', 1] },
      { name: 'scaled', type: 'float32', shape: ['N', 3] },
    ],
    initializers: [
      { name: 'axes', type: 'int64', dims: [1], values: [1] },
      { name: 'two', type: 'float32', dims: [], values: [2] },
    ],
    nodes: [
      { op: 'ReduceSum', inputs: ['a', 'axes'], outputs: ['row_sum'], attributes: { keepdims: { int: 1 } } },
      { op: 'Cast', inputs: ['count'], outputs: ['count_float'], attributes: { to: { int: 1 } } },
      { op: 'Add', inputs: ['row_sum', 'count_float'], outputs: ['sum'] },
      { op: 'Mul', inputs: ['a', 'two'], outputs: ['scaled'] },
    ],
  });
}

/** The element types the typed-inputs model takes, one input (and one identity output) each. */
export const TYPED_INPUTS = ['float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool'] as const;

/** One [N, 2] input per element type, each passed through: `in_<type>` → `out_<type>`. */
export function typedInputsModel(): Uint8Array {
  return onnxModel({
    name: 'typed_inputs',
    inputs: TYPED_INPUTS.map((type) => ({ name: `in_${type}`, type, shape: ['N', 2] })),
    outputs: TYPED_INPUTS.map((type) => ({ name: `out_${type}`, type, shape: ['N', 2] })),
    nodes: TYPED_INPUTS.map((type) => ({ op: 'Identity', inputs: [`in_${type}`], outputs: [`out_${type}`] })),
  });
}

/** `y = x / d` in float32, [N, 3]: dividing by zero gives ±Infinity and NaN (IEEE 754 §7.3). */
export function divisionModel(): Uint8Array {
  return onnxModel({
    name: 'division',
    inputs: [{ name: 'x', type: 'float32', shape: ['N', 3] }, { name: 'd', type: 'float32', shape: ['N', 3] }],
    outputs: [{ name: 'y', type: 'float32', shape: ['N', 3] }],
    nodes: [{ op: 'Div', inputs: ['x', 'd'], outputs: ['y'] }],
  });
}

/** `square = x × x` and `negative = −x × x` in int64, [N, 1]: squares of 32-bit numbers pass 2^53. */
export function squareModel(): Uint8Array {
  return onnxModel({
    name: 'square',
    inputs: [{ name: 'x', type: 'int64', shape: ['N', 1] }],
    outputs: [{ name: 'square', type: 'int64', shape: ['N', 1] }, { name: 'negative', type: 'int64', shape: ['N', 1] }],
    nodes: [
      { op: 'Mul', inputs: ['x', 'x'], outputs: ['square'] },
      { op: 'Neg', inputs: ['square'], outputs: ['negative'] },
    ],
  });
}

/**
 * Reshapes a [N, 1, 4, 4] grey image to [N, 16], so the output shows which displayed pixel is
 * bright: the model of shared/cases/exif/README.md.
 */
export function reshapeImageModel(): Uint8Array {
  return onnxModel({
    name: 'reshape_image',
    inputs: [{ name: 'pixels', type: 'float32', shape: ['N', 1, 4, 4] }],
    outputs: [{ name: 'flat', type: 'float32', shape: ['N', 16] }],
    initializers: [{ name: 'flat_shape', type: 'int64', dims: [2], values: [-1, 16] }],
    nodes: [{ op: 'Reshape', inputs: ['pixels', 'flat_shape'], outputs: ['flat'] }],
  });
}
