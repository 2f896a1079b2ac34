import { AppError } from '../errors/app-error';
import type { ChunkRow } from '../datasets/formats/dataset-types';
import type { PredictInput } from '../inference/predict-input';
import type { RowPrediction } from '../inference/predictions';
import { sniffImageFormat } from '../inference/images/image-format';

/** Runs one PredictInput through the model (InferenceEngine.predict for the job's version), answering one prediction per row. */
export type Predict = (input: PredictInput) => Promise<readonly RowPrediction[]>;

/** A row's outcome: its prediction, or the one-line reason it has none. */
export type RowOutcome = { readonly row: ChunkRow; readonly prediction: RowPrediction } | { readonly row: ChunkRow; readonly error: string };

/**
 * Faults of the input rather than of the model or its backend: predict's 4xx answers. A batch
 * refused so is retried row by row to name the row; any other failure (a backend down, a
 * timeout) is the chunk's, and throws, for the chunk to be retried.
 */
const BAD_INPUT_KINDS: ReadonlySet<AppError['kind']> = new Set(['invalid', 'too_large', 'unsupported_media_type']);
export const isBadInput = (error: unknown): error is AppError => error instanceof AppError && BAD_INPUT_KINDS.has(error.kind);

/** One line: a reason is written into errors.jsonl and the record. */
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').slice(0, 500);

/** The rows as one tensor batch (or named tensors); images go one per input. */
function batchInput(rows: readonly ChunkRow[]): PredictInput {
  const first = rows[0]!;
  if (first.named) {
    const tensors = new Map(Object.keys(first.named).map((name) => {
      const width = first.named![name]!.length;
      const data = new Float64Array(rows.length * width);
      rows.forEach((row, index) => data.set(row.named![name]!, index * width));
      return [name, { shape: [rows.length, width], data }];
    }));
    return { kind: 'named', tensors };
  }
  const width = first.values!.length;
  const data = new Float64Array(rows.length * width);
  rows.forEach((row, index) => data.set(row.values!, index * width));
  return { kind: 'rows', rows: { shape: [rows.length, width], data }, single: false, field: 'input' };
}

function imageInput(row: ChunkRow): PredictInput | string {
  const format = sniffImageFormat(row.image!);
  return format ? { kind: 'image', image: { bytes: row.image!, format } } : 'the member is neither a PNG nor a JPEG';
}

/** Rows of one width (or one set of named widths) go in one tensor; a row of another width starts a new batch. */
const sameWidth = (a: ChunkRow, b: ChunkRow): boolean => (a.values && b.values ? a.values.length === b.values.length
  : a.named && b.named ? Object.keys(a.named).every((name) => a.named![name]!.length === b.named![name]?.length) && Object.keys(a.named).length === Object.keys(b.named).length
    : false);

async function predictOne(row: ChunkRow, predict: Predict): Promise<RowOutcome> {
  const input = row.image ? imageInput(row) : batchInput([row]);
  if (typeof input === 'string') return { row, error: input };
  try {
    const [prediction] = await predict(input);
    return prediction ? { row, prediction } : { row, error: 'the model gave no prediction for the row' };
  } catch (error) {
    if (isBadInput(error)) return { row, error: oneLine(error.message) };
    throw error;
  }
}

/**
 * Predicts rows that were read without error (ChunkRow.values, .named or .image), in order:
 * tensor rows together, as many as come in a row of one width; images one per call (predict
 * takes one image). A batch the model refuses as bad input is retried row by row, so the rows at
 * fault are named and the others still predicted. Throws what is not a fault of the input.
 */
export async function predictRows(rows: readonly ChunkRow[], predict: Predict): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  let start = 0;
  while (start < rows.length) {
    const first = rows[start]!;
    if (first.image) {
      outcomes.push(await predictOne(first, predict));
      start += 1;
      continue;
    }
    let end = start + 1;
    while (end < rows.length && sameWidth(first, rows[end]!)) end += 1;
    const batch = rows.slice(start, end);
    start = end;
    let predictions: readonly RowPrediction[] | undefined;
    try {
      predictions = await predict(batchInput(batch));
    } catch (error) {
      if (!isBadInput(error)) throw error;
    }
    if (predictions && predictions.length === batch.length) {
      batch.forEach((row, index) => outcomes.push({ row, prediction: predictions![index]! }));
      continue;
    }
    for (const row of batch) outcomes.push(await predictOne(row, predict));
  }
  return outcomes;
}
