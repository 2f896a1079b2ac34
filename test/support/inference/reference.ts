/**
 * The test's own arithmetic for the models it builds, written without any MLHub code, so a
 * prediction can be checked against an independent computation.
 */

/** x·W + b for row-major W (features × classes). */
export function linearScores(features: ArrayLike<number>, weights: readonly number[], bias: readonly number[]): number[] {
  const classes = bias.length;
  const out = [...bias];
  for (let f = 0; f < features.length; f += 1) {
    for (let c = 0; c < classes; c += 1) out[c]! += features[f]! * weights[f * classes + c]!;
  }
  return out;
}

export function softmaxOf(values: readonly number[]): number[] {
  const top = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

export const argmax = (values: readonly number[]): number => values.indexOf(Math.max(...values));

/** Reproducible pseudo-random weights in [-0.5, 0.5). */
export function seededValues(count: number, seed: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  });
}

/** Rounds as float32 does, since the model stores its weights as float32. */
export const asFloat32 = (values: readonly number[]): number[] => Array.from(Float32Array.from(values));
