import { describe, expect, it } from 'vitest';
import type { ChunkRow } from '../../../functions/datasets/formats/dataset-types';
import { invalid } from '../../../functions/errors/app-error';
import type { PredictInput } from '../../../functions/inference/predict-input';
import { jobDoomed, jobVerdict } from '../../../functions/jobs/job-steps';
import { predictRows, type Predict } from '../../../functions/jobs/row-predictions';

/**
 * A model of one rule, for the batching logic alone: it sums each row, and refuses a batch holding
 * a negative value (as an ONNX model refuses input out of its domain), naming no row.
 */
function summingModel(calls: number[]): Predict {
  return async (input: PredictInput) => {
    if (input.kind !== 'rows') throw new Error('rows only');
    const [count = 0, width = 0] = input.rows.shape;
    calls.push(count);
    const data = Array.from(input.rows.data);
    if (data.some((value) => value < 0)) throw invalid('invalid_input', 'input holds a negative value');
    return Array.from({ length: count }, (_, row) => ({ output: data.slice(row * width, (row + 1) * width).reduce((a, b) => a + b, 0) }));
  };
}

const row = (index: number, values: number[]): ChunkRow => ({ row: index, values: Float64Array.from(values) });

describe('predictRows', () => {
  it('predicts rows of one width in one batch', async () => {
    const calls: number[] = [];
    const outcomes = await predictRows([row(0, [1, 2]), row(1, [3, 4]), row(2, [5, 6])], summingModel(calls));
    expect(calls).toEqual([3]);
    expect(outcomes.map((outcome) => ('prediction' in outcome ? outcome.prediction.output : outcome.error))).toEqual([3, 7, 11]);
  });

  it('retries a batch refused as bad input row by row, naming the faulty row and predicting the others', async () => {
    const calls: number[] = [];
    const outcomes = await predictRows([row(0, [1, 2]), row(1, [-1, 4]), row(2, [5, 6])], summingModel(calls));
    expect(calls).toEqual([3, 1, 1, 1]);
    expect(outcomes.map((outcome) => ('prediction' in outcome ? outcome.prediction.output : outcome.error))).toEqual([3, 'input holds a negative value', 11]);
  });

  it('throws what is not a fault of the input, for the chunk to be retried', async () => {
    const down: Predict = async () => {
      throw new Error('backend down');
    };
    await expect(predictRows([row(0, [1])], down)).rejects.toThrow('backend down');
  });

  it('starts a new batch where the width changes', async () => {
    const calls: number[] = [];
    await predictRows([row(0, [1, 2]), row(1, [3, 4]), row(2, [5])], summingModel(calls));
    expect(calls).toEqual([2, 1]);
  });
});

describe('jobVerdict', () => {
  const job = (rowsFailed: number, mode: 'fail' | 'skip', toleratedPercent: number) => ({ rowsTotal: 200, rowsFailed, chunksTotal: 4, onError: { mode, toleratedPercent } });
  it('fails a job in fail mode at its first bad row, and one past its tolerated percent in skip mode', () => {
    expect(jobVerdict(job(0, 'fail', 0), 4)).toEqual({ state: 'succeeded' });
    expect(jobVerdict(job(1, 'fail', 50), 4).state).toBe('failed');
    expect(jobVerdict(job(2, 'skip', 1), 4)).toEqual({ state: 'succeeded' });
    expect(jobVerdict(job(3, 'skip', 1), 4).reason).toMatch(/3 of 200 rows failed \(1\.50%\), over the tolerated 1%/);
    expect(jobVerdict(job(0, 'skip', 1), 3).reason).toMatch(/1 of 4 chunks never completed/);
    expect(jobDoomed(job(3, 'skip', 1))).toBe(true);
    expect(jobDoomed(job(2, 'skip', 1))).toBe(false);
  });
});
