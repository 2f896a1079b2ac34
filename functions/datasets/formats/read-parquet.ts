import { cachedAsyncBuffer, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { invalid } from '../../errors/app-error';
import type { ResolvedSelection } from './column-selection';
import type { ChunkRow, DatasetChunk, DatasetSchema } from './dataset-types';
import { asyncBufferOf, PARQUET_COMPRESSORS } from './parquet-file';
import type { RangeSource } from './range-source';
import { RowAssembler } from './row-assembler';

/**
 * Reads a Parquet chunk: the footer, then only the selected and kept columns of the chunk's rows
 * (hyparquet fetches just the row groups and column chunks they lie in). Values follow predict's
 * rules; a null, a text value or a list of another length is an error row.
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
  const rows = await parquetReadObjects({
    file, metadata, columns: wanted, rowStart: chunk.rowStart, rowEnd: chunk.rowStart + chunk.rowCount, compressors: PARQUET_COMPRESSORS,
  });
  if (rows.length !== chunk.rowCount) throw new Error(`Chunk ${chunk.index} holds ${rows.length} rows where the inspection found ${chunk.rowCount}: the object changed since it was inspected`);
  for (let index = 0; index < rows.length; index += 1) {
    const record = rows[index]!;
    yield assembler.build(chunk.rowStart + index, (name) => (Object.hasOwn(record, name) ? record[name] : undefined));
  }
}
