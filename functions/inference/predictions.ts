import type { ModelParams } from './model-params';
import { flattenNumbers } from './tensor';

/**
 * One prediction per input row. A model with a single output gives `output`; one with several
 * gives `outputs` by name. Either keeps the tensor's shape (the row's slice of it, as nested
 * arrays). With labels, `label` and `probability` name the top class.
 */
export interface RowPrediction {
  readonly output?: unknown;
  readonly outputs?: Readonly<Record<string, unknown>>;
  readonly label?: string;
  readonly probability?: number;
}

export interface PredictionResponse {
  readonly model: string;
  readonly version: number;
  readonly predictions: readonly RowPrediction[];
}

/** Outputs by name as a prediction: a lone output is `output`, several are `outputs`. */
export function predictionFromOutputs(outputs: Readonly<Record<string, unknown>>): RowPrediction {
  const names = Object.keys(outputs);
  if (names.length === 1) return { output: outputs[names[0]!] };
  return { outputs };
}

const PROBABILITY_TOLERANCE = 1e-3;

/** Values that already are a probability distribution: none negative, summing to 1. */
export function isDistribution(values: readonly number[]): boolean {
  if (values.some((value) => value < 0 || value > 1)) return false;
  const sum = values.reduce((total, value) => total + value, 0);
  return Math.abs(sum - 1) <= PROBABILITY_TOLERANCE;
}

export function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

/** The output to label: params.json's output_name, else the first whose size matches the labels. */
function scoresFor(prediction: RowPrediction, labelCount: number, outputName: string | undefined): number[] | undefined {
  const candidates = prediction.outputs
    ? (outputName && outputName in prediction.outputs ? [prediction.outputs[outputName]] : Object.values(prediction.outputs))
    : [prediction.output];
  for (const candidate of candidates) {
    const values = flattenNumbers(candidate);
    if (values && (values.length === labelCount || (values.length === 1 && labelCount === 2))) return values;
  }
  return undefined;
}

/**
 * The top label and its probability. Scores that already form a distribution (non-negative,
 * summing to 1 within 1e-3) are taken as probabilities; anything else is taken as logits and
 * softmax-ed, unless params.json's "softmax" decides. A single score with two labels is a binary
 * classifier: a probability of the second label (a sigmoid, if it is outside 0-1).
 * Scores that are not all finite (NaN or ±Infinity, which reach here as the strings of
 * output-values.ts or as numbers) give no label: no class can be ranked against NaN, and
 * softmax over an infinity is NaN.
 */
export function topLabel(scores: readonly number[], labels: readonly string[], forceSoftmax: boolean | undefined): { label: string; probability: number } | undefined {
  if (!scores.every(Number.isFinite)) return undefined;
  if (scores.length === 1 && labels.length === 2) {
    const raw = scores[0]!;
    const positive = forceSoftmax === true || raw < 0 || raw > 1 ? 1 / (1 + Math.exp(-raw)) : raw;
    return positive >= 0.5 ? { label: labels[1]!, probability: positive } : { label: labels[0]!, probability: 1 - positive };
  }
  const useSoftmax = forceSoftmax ?? !isDistribution(scores);
  const probabilities = useSoftmax ? softmax(scores) : [...scores];
  let best = 0;
  probabilities.forEach((value, index) => {
    if (value > (probabilities[best] ?? -Infinity)) best = index;
  });
  const label = labels[best];
  return label === undefined ? undefined : { label, probability: probabilities[best]! };
}

/** Adds the top label to each prediction a backend did not already label. */
export function labelPredictions(predictions: readonly RowPrediction[], labels: readonly string[] | undefined, params: ModelParams): RowPrediction[] {
  if (!labels || labels.length === 0) return [...predictions];
  return predictions.map((prediction) => {
    if (prediction.label !== undefined) return prediction;
    const scores = scoresFor(prediction, labels.length, params.outputName);
    const top = scores && topLabel(scores, labels, params.softmax);
    return top ? { ...prediction, ...top } : prediction;
  });
}
