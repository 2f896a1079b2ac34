import { invalid } from '../../errors/app-error';
import { imageTargetFromParams, imageToTensor } from '../images/image-tensor';
import type { Nested } from '../tensor';
import { nest, splitRows, type Tensor } from '../tensor';
import { backendFailed } from './backend-failures';
import type { PredictJob } from './inference-backend';

/**
 * Helpers for backends that take tensors over the wire (TF Serving, OIP, SageMaker JSON): they
 * declare no shapes to MLHub, so rows go as sent and images are preprocessed as params.json says.
 */

/** The request as one batch tensor: rows as sent, or an image preprocessed to [1, ...]. */
export function batchTensor(job: PredictJob): Tensor {
  const { input } = job;
  if (input.kind === 'rows') return input.rows;
  if (input.kind === 'image') {
    return imageToTensor(input.image, imageTargetFromParams(job.params.image, job.spec.kind), job.params.image, job.limits);
  }
  throw new Error('batchTensor is for row and image input');
}

/** Each row of a batch as nested arrays (a single vector stays a flat array). */
export const nestedRows = (tensor: Tensor): Nested[] => splitRows(tensor).map((row) => nest(row.data, row.shape));

/** The number of rows in named inputs: their shared first dimension (1 for scalars). */
export function namedRowCount(tensors: ReadonlyMap<string, Tensor>): number {
  const counts = new Set([...tensors.values()].map((tensor) => (tensor.shape.length === 0 ? 1 : tensor.shape[0]!)));
  if (counts.size > 1) throw invalid('invalid_input', `Every named input must hold the same number of rows; got ${[...counts].join(' and ')}`);
  return [...counts][0] ?? 1;
}

/** Splits a JSON value along its first axis into `rows` parts; a single row may be any value. */
export function splitAnswer(value: unknown, rows: number, job: PredictJob, what: string): unknown[] {
  if (Array.isArray(value) && value.length === rows) return value;
  if (rows === 1) return [value];
  const got = Array.isArray(value) ? `${value.length}` : 'no list of';
  throw backendFailed(job.spec.kind, `it answered ${got} ${what} for ${rows} rows`);
}

/** Splits each named output of a columnar answer by row. */
export function splitNamedAnswer(outputs: Record<string, unknown>, rows: number, job: PredictJob): Record<string, unknown>[] {
  const perRow: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
  for (const [name, value] of Object.entries(outputs)) {
    splitAnswer(value, rows, job, `values of '${name}'`).forEach((part, row) => {
      perRow[row]![name] = part;
    });
  }
  return perRow;
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
