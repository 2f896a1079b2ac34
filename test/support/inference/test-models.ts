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
