import { describe, expect, it } from 'vitest';
import { readModelParams } from '../../../functions/inference/model-params';
import { isDistribution, labelPredictions, topLabel } from '../../../functions/inference/predictions';
import { softmaxOf } from '../../support/inference/reference';

describe('labelling predictions', () => {
  it('takes a distribution as probabilities and anything else as logits', () => {
    expect(isDistribution([0.2, 0.3, 0.5])).toBe(true);
    expect(isDistribution([0.2, 0.3, 0.6])).toBe(false);
    expect(isDistribution([-0.5, 1.5])).toBe(false);
    expect(topLabel([0.2, 0.5, 0.3], ['a', 'b', 'c'], undefined)).toEqual({ label: 'b', probability: 0.5 });
    const logits = [1, 3, 2];
    expect(topLabel(logits, ['a', 'b', 'c'], undefined)).toEqual({ label: 'b', probability: softmaxOf(logits)[1] });
  });

  it('lets params.json force or forbid softmax', () => {
    expect(topLabel([0.2, 0.5, 0.3], ['a', 'b', 'c'], true)?.probability).toBeCloseTo(softmaxOf([0.2, 0.5, 0.3])[1]!, 12);
    expect(topLabel([2, 5, 3], ['a', 'b', 'c'], false)).toEqual({ label: 'b', probability: 5 });
  });

  it('reads one score with two labels as a binary classifier', () => {
    expect(topLabel([0.8], ['no', 'yes'], undefined)).toEqual({ label: 'yes', probability: 0.8 });
    expect(topLabel([0.1], ['no', 'yes'], undefined)?.label).toBe('no');
    expect(topLabel([-2], ['no', 'yes'], undefined)).toEqual({ label: 'no', probability: 1 - 1 / (1 + Math.exp(2)) });
  });

  it('labels the output params.json names, or the first that fits the labels', () => {
    const params = readModelParams({ output_name: 'probs' });
    const [named] = labelPredictions([{ outputs: { logits: [9, 0], probs: [0.3, 0.7] } }], ['a', 'b'], params);
    expect(named).toMatchObject({ label: 'b', probability: 0.7 });
    const [fitting] = labelPredictions([{ outputs: { id: [3, 4, 5], scores: [[0.6, 0.4]] } }], ['a', 'b'], readModelParams({}));
    expect(fitting).toMatchObject({ label: 'a', probability: 0.6 });
  });

  it('leaves predictions alone without labels, without a fitting output, or when the backend labelled them', () => {
    expect(labelPredictions([{ output: [0.5, 0.5] }], undefined, readModelParams({}))).toEqual([{ output: [0.5, 0.5] }]);
    expect(labelPredictions([{ output: [1, 2, 3] }], ['a', 'b'], readModelParams({}))).toEqual([{ output: [1, 2, 3] }]);
    expect(labelPredictions([{ output: {}, label: 'x', probability: 1 }], ['a', 'b'], readModelParams({}))).toEqual([{ output: {}, label: 'x', probability: 1 }]);
  });
});
