import { cachedAsyncBuffer, parquetMetadataAsync, parquetRead, type DecodedArray } from 'hyparquet';
import { invalid } from '../../errors/app-error';
import type { ResolvedSelection } from './column-selection';
import type { ChunkRow, DatasetChunk, DatasetSchema } from './dataset-types';
import { asyncBufferOf, PARQUET_COMPRESSORS } from './parquet-file';
import type { RangeSource } from './range-source';
import { RowAssembler } from './row-assembler';

/**
 * A decoded column as a Float32Array when every value is a number a float32 holds exactly (any
 * FLOAT column's, and many DOUBLE ones'): half the memory of hyparquet's array of doubles, and
 * the same values. A wide file's row group of 784 FLOAT columns × 50,000 rows is 157 MB so, not
 * 314 MB, held while its rows are made. Anything else (nulls, text, other doubles) stays as it is.
 */
function compact(data: DecodedArray): DecodedArray {
  if (!Array.isArray(data)) return data;
  for (const value of data as unknown[]) {
    if (typeof value !== 'number' || (Math.fround(value) !== value && !Number.isNaN(value))) return data;
  }
  return Float32Array.from(data as number[]);
}

/**
 * One column's decoded values over a row range, as hyparquet hands them over (onChunk: one array
 * per page or column chunk, each from its first row, which may lie before the range asked for).
 */
class ColumnValues {
  private readonly pieces: { readonly start: number; readonly data: DecodedArray }[] = [];

  add(start: number, data: DecodedArray): void {
    this.pieces.push({ start, data: compact(data) });
    this.pieces.sort((a, b) => a.start - b.start);
  }

  /**
   * Rows [from, to) as one array and where `from` is in it: the piece itself when one holds them
   * all (a column chunk of one page: no copy), else the pieces' values copied together.
   */
  range(from: number, to: number): { readonly values: ArrayLike<unknown>; readonly offset: number } {
    const whole = this.pieces.find((piece) => piece.start <= from && piece.start + piece.data.length >= to);
    if (whole) return { values: whole.data, offset: from - whole.start };
    const values: unknown[] = [];
    for (const piece of this.pieces) {
      for (let row = Math.max(from, piece.start); row < Math.min(to, piece.start + piece.data.length); row += 1) values[row - from] = piece.data[row - piece.start];
    }
    return { values, offset: 0 };
  }

  /** Whether every row of [from, to) has a value. */
  covers(from: number, to: number): boolean {
    let next = from;
    for (const piece of this.pieces) {
      if (piece.start > next) return false;
      next = Math.max(next, piece.start + piece.data.length);
      if (next >= to) return true;
    }
    return next >= to;
  }
}

/**
 * Columns decoded per hyparquet read: it decodes all the columns of a read before handing any
 * over, so a read of 784 columns held every one as an array of doubles at once (314 MB for 50,000
 * rows) before they could be compacted; 64 at a time hold 26 MB so (bench/results/batch.md).
 */
const COLUMNS_PER_READ = 64;

/** Rows built at a time from the decoded columns: their values stay in cache while a column is copied across them. */
const BLOCK_ROWS = 256;

/**
 * Reads a Parquet chunk: the footer, then only the selected and kept columns of the chunk's rows,
 * one row group at a time (hyparquet fetches just the row groups and column chunks they lie in).
 * Values follow predict's rules; a null, a text value or a list of another length is an error row.
 *
 * Rows are built straight from the decoded columns, never as one object per row (hyparquet's
 * parquetReadObjects): for a wide file (784 pixel columns) those objects cost more than the
 * model, and held the whole chunk at once (bench/results/batch.md). Rows are made BLOCK_ROWS at a
 * time (RowAssembler.buildColumns); memory is one row group's decoded columns of the chunk's range.
 */
export async function* readParquet(schema: DatasetSchema, chunk: DatasetChunk, source: RangeSource, selection: Extract<ResolvedSelection, { kind: 'columns' | 'named' }>): AsyncGenerator<ChunkRow> {
  if (schema.kind !== 'columns') throw new Error('A Parquet dataset has a columns schema');
  const file = cachedAsyncBuffer(asyncBufferOf(source));
  const metadata = await parquetMetadataAsync(file);
  const kept = new Set(selection.keep);
  if (selection.kind === 'columns' && selection.columns === 'all') {
    throw invalid('invalid_columns', `The Parquet file has more than ${schema.columns.length} columns: name the input columns in \`columns\``);
  }
  const inputs = selection.kind === 'named' ? selection.inputs.flatMap((input) => input.columns) : selection.columns === 'all' ? [] : selection.columns;
  const wanted = [...new Set([...inputs.map((column) => column.name), ...kept])];
  const assembler = new RowAssembler(selection, false);
  const end = chunk.rowStart + chunk.rowCount;
  let row = chunk.rowStart;
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const from = Math.max(groupStart, chunk.rowStart);
    const to = Math.min(groupEnd, end);
    groupStart = groupEnd;
    if (from >= to) continue;
    const columns = new Map(wanted.map((name) => [name, new ColumnValues()]));
    for (let first = 0; first < wanted.length; first += COLUMNS_PER_READ) {
      await parquetRead({
        file, metadata, columns: wanted.slice(first, first + COLUMNS_PER_READ), rowStart: from, rowEnd: to, compressors: PARQUET_COMPRESSORS,
        onChunk: ({ columnName, columnData, rowStart }) => columns.get(columnName)?.add(rowStart, columnData),
      });
    }
    if (![...columns.values()].every((column) => column.covers(from, to))) break;
    const ranges = new Map([...columns].map(([name, column]) => [name, column.range(from, to)]));
    columns.clear();
    for (; row < to; row += BLOCK_ROWS) {
      const count = Math.min(BLOCK_ROWS, to - row);
      const first = row - from;
      yield* assembler.buildColumns(row, count, (name) => {
        const { values, offset } = ranges.get(name as string)!;
        return { values, offset: offset + first };
      });
    }
    row = to;
  }
  if (row !== end) throw new Error(`Chunk ${chunk.index} holds ${row - chunk.rowStart} rows where the inspection found ${chunk.rowCount}: the object changed since it was inspected`);
}
