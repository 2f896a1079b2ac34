import { onnxModel } from '../../scripts/models/onnx-graph';

/** Reproducible pseudo-random weights in [-scale, scale). */
function weights(count: number, seed: number, scale: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return ((state / 2 ** 32) * 2 - 1) * scale;
  });
}

/**
 * A digit classifier that does real work: 784 → 512 → 512 → 10 with ReLU, about 0.67 million
 * multiply-adds per row (small enough for a direct upload). It takes the demo model's input, so the same request body serves both.
 */
export function mlpClassifierOnnx(hidden = 512): Uint8Array {
  const layers = [784, hidden, hidden, 10];
  const initializers = layers.slice(1).flatMap((size, i) => [
    { name: `W${i}`, type: 'float32' as const, dims: [layers[i] as number, size], values: weights((layers[i] as number) * size, 7 + i, 1 / Math.sqrt(layers[i] as number)) },
    { name: `b${i}`, type: 'float32' as const, dims: [size], values: weights(size, 70 + i, 0.01) },
  ]);
  const nodes = [{ op: 'Flatten', inputs: ['pixels'], outputs: ['h0'], attributes: { axis: { int: 1 } } }];
  for (let i = 0; i < 3; i += 1) {
    const last = i === 2;
    nodes.push({ op: 'Gemm', inputs: [`h${i}`, `W${i}`, `b${i}`], outputs: [last ? 'scores' : `z${i + 1}`] } as (typeof nodes)[number]);
    if (!last) nodes.push({ op: 'Relu', inputs: [`z${i + 1}`], outputs: [`h${i + 1}`] } as (typeof nodes)[number]);
  }
  nodes.push({ op: 'Softmax', inputs: ['scores'], outputs: ['probabilities'], attributes: { axis: { int: 1 } } });
  return onnxModel({
    name: 'bench_mlp',
    inputs: [{ name: 'pixels', type: 'float32', shape: ['N', 1, 28, 28] }],
    outputs: [{ name: 'probabilities', type: 'float32', shape: ['N', 10] }],
    initializers,
    nodes,
  });
}
