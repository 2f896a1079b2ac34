import { isAppError } from '../../errors/app-error';
import { ElementBudget, readTensor } from '../../inference/predict-input';
import { formatShape } from '../../inference/tensor';
import type { ResolvedSelection } from './column-selection';
import type { ChunkRow, DatasetChunk, DatasetLayout, DatasetSchema } from './dataset-types';
import { isBlankLine, MAX_JSONL_LINE_BYTES, parseLine } from './jsonl-rows';
import type { RangeSource } from './range-source';
import { oneLine, RowAssembler } from './row-assembler';
import { textLines } from './text-lines';

type Lines = Extract<DatasetLayout, { kind: 'lines' }>;

/** An array row flattened by predict's tensor rules (rectangular, finite numbers), of the dataset's row shape. */
function arrayRow(row: number, value: unknown, rowShape: readonly number[]): ChunkRow {
  if (!Array.isArray(value)) return { row, error: `the line holds ${value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`} where the dataset's rows are arrays` };
  try {
    const tensor = readTensor(value, 'row', new ElementBudget(Number.MAX_SAFE_INTEGER));
    if (tensor.shape.length !== rowShape.length || tensor.shape.some((dim, axis) => dim !== rowShape[axis])) {
      return { row, error: `the row has shape ${formatShape(tensor.shape)} where the dataset's rows are ${formatShape(rowShape)} (the first row's)` };
    }
    return { row, values: Float64Array.from(tensor.data) };
  } catch (error) {
    if (isAppError(error) && error.kind === 'invalid') return { row, error: oneLine(error) };
    throw error;
  }
}

/**
 * Reads a JSON Lines chunk: streams its byte range line by line; blank lines are skipped and are
 * no rows. A line that is not JSON, or not of the dataset's kind (object or array), is an error row.
 */
export async function* readJsonl(layout: Lines, schema: DatasetSchema, chunk: DatasetChunk, source: RangeSource, selection: ResolvedSelection): AsyncGenerator<ChunkRow> {
  const stream = await source.stream(chunk.byteStart ?? 0, chunk.byteEnd ?? source.size);
  const assembler = selection.kind === 'columns' || selection.kind === 'named' ? new RowAssembler(selection, false, schema.kind === 'columns' ? schema.columns.filter((column) => !selection.keep.includes(column.name)) : []) : undefined;
  const rowShape = schema.kind === 'array' ? schema.shape.slice(1) : [];
  const tooLong = (line: number, offset: number): Error => new Error(`A line from byte ${offset} is over ${MAX_JSONL_LINE_BYTES} bytes: the object changed since it was inspected`);
  let row = chunk.rowStart;
  try {
    for await (const line of textLines(stream, chunk.byteStart ?? 0, MAX_JSONL_LINE_BYTES, tooLong)) {
      if (isBlankLine(line)) continue;
      const parsed = parseLine(line);
      if ('error' in parsed) yield { row, error: parsed.error };
      else if (!assembler) yield arrayRow(row, parsed.value, rowShape);
      else if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
        yield { row, error: `the line holds ${Array.isArray(parsed.value) ? 'an array' : parsed.value === null ? 'null' : `a ${typeof parsed.value}`} where the dataset's rows are objects` };
      } else {
        const object = parsed.value as Record<string, unknown>;
        yield assembler.build(row, (name) => (Object.hasOwn(object, name) ? object[name] : undefined));
      }
      row += 1;
    }
  } finally {
    stream.destroy();
  }
  if (row !== chunk.rowStart + chunk.rowCount) throw new Error(`Chunk ${chunk.index} holds ${row - chunk.rowStart} rows where the inspection found ${chunk.rowCount}: the object changed since it was inspected`);
}
