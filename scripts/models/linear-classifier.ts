import { onnxModel, type ValueSpec } from './onnx-graph';

/**
 * A linear classifier as an ONNX graph: Flatten → Gemm (x·W + b) → optional Softmax. Its input
 * can have any declared shape ([N, 1, 28, 28], [N, 8, 8, 3], [N, 784], [1, 4]…); the features are
 * the input flattened row-major, so anyone can compute the same result with plain arithmetic.
 */
export interface LinearClassifierSpec {
  readonly inputName: string;
  readonly inputShape: readonly (number | string)[];
  readonly outputName: string;
  /** features × classes, row-major: weights[f * classes + c]. */
  readonly weights: readonly number[];
  readonly bias: readonly number[];
  readonly softmax: boolean;
}

export function linearClassifierOnnx(spec: LinearClassifierSpec): Uint8Array {
  const classes = spec.bias.length;
  const features = spec.weights.length / classes;
  if (!Number.isInteger(features)) throw new Error('weights must hold features × classes values');
  const batch = spec.inputShape[0] ?? 'N';
  const input: ValueSpec = { name: spec.inputName, type: 'float32', shape: spec.inputShape };
  const output: ValueSpec = { name: spec.outputName, type: 'float32', shape: [batch, classes] };
  const scores = spec.softmax ? 'scores' : spec.outputName;
  return onnxModel({
    name: 'linear_classifier',
    inputs: [input],
    outputs: [output],
    initializers: [
      { name: 'W', type: 'float32', dims: [features, classes], values: spec.weights },
      { name: 'b', type: 'float32', dims: [classes], values: spec.bias },
    ],
    nodes: [
      { op: 'Flatten', inputs: [spec.inputName], outputs: ['features'], attributes: { axis: { int: 1 } } },
      { op: 'Gemm', inputs: ['features', 'W', 'b'], outputs: [scores] },
      ...(spec.softmax ? [{ op: 'Softmax', inputs: [scores], outputs: [spec.outputName], attributes: { axis: { int: 1 } } }] : []),
    ],
  });
}
