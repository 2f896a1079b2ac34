/**
 * Multinomial logistic regression (a linear classifier with softmax) trained by mini-batch
 * gradient descent in plain TypeScript: small enough to run in seconds, real enough to classify.
 */
export interface Example {
  readonly features: Float64Array;
  readonly label: number;
}

export interface TrainedLinear {
  /** features × classes, row-major. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

export interface TrainingOptions {
  readonly classes: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly l2: number;
  readonly random: () => number;
}

export function scores(model: TrainedLinear, features: Float64Array, classes: number): Float64Array {
  const out = Float64Array.from(model.bias);
  for (let f = 0; f < features.length; f += 1) {
    const value = features[f]!;
    if (value === 0) continue;
    for (let c = 0; c < classes; c += 1) out[c]! += value * model.weights[f * classes + c]!;
  }
  return out;
}

function softmaxInPlace(values: Float64Array): Float64Array {
  const max = Math.max(...values);
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) {
    values[i] = Math.exp(values[i]! - max);
    sum += values[i]!;
  }
  for (let i = 0; i < values.length; i += 1) values[i]! /= sum;
  return values;
}

export const predictClass = (model: TrainedLinear, features: Float64Array, classes: number): number => {
  const out = scores(model, features, classes);
  return out.indexOf(Math.max(...out));
};

export function trainSoftmax(examples: readonly Example[], options: TrainingOptions): TrainedLinear {
  const { classes } = options;
  const featureCount = examples[0]?.features.length ?? 0;
  const model = { weights: new Float64Array(featureCount * classes), bias: new Float64Array(classes) };
  const order = examples.map((_, index) => index);
  for (let epoch = 0; epoch < options.epochs; epoch += 1) {
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(options.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const rate = options.learningRate / (1 + epoch * 0.3);
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      const gradW = new Float64Array(model.weights.length);
      const gradB = new Float64Array(classes);
      for (const index of batch) {
        const { features, label } = examples[index]!;
        const probabilities = softmaxInPlace(scores(model, features, classes));
        probabilities[label]! -= 1;
        for (let f = 0; f < featureCount; f += 1) {
          const value = features[f]!;
          if (value === 0) continue;
          for (let c = 0; c < classes; c += 1) gradW[f * classes + c]! += value * probabilities[c]!;
        }
        for (let c = 0; c < classes; c += 1) gradB[c]! += probabilities[c]!;
      }
      const step = rate / batch.length;
      for (let k = 0; k < model.weights.length; k += 1) model.weights[k]! -= step * gradW[k]! + rate * options.l2 * model.weights[k]!;
      for (let c = 0; c < classes; c += 1) model.bias[c]! -= step * gradB[c]!;
    }
  }
  return model;
}
