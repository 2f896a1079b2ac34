import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { MAX_COLUMNS } from './csv-dialect';
import { LISTED_COLUMNS_LIMIT, type DatasetColumn, type DatasetInspection } from './dataset-types';
import { asyncBufferOf, PARQUET_COMPRESSORS, parquetColumnType } from './parquet-file';
import type { RangeSource } from './range-source';
import { rejectDataset } from './refusal';

/** A column chunk's bytes: from its dictionary page (if any) or first data page, for its compressed size. */
function rowGroupBytes(group: FileMetaData['row_groups'][number]): { byteStart: number; byteEnd: number } {
  let byteStart = Number.POSITIVE_INFINITY;
  let byteEnd = 0;
  for (const column of group.columns) {
    const meta = column.meta_data;
    if (!meta) continue;
    const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    byteStart = Math.min(byteStart, start);
    byteEnd = Math.max(byteEnd, start + Number(meta.total_compressed_size));
  }
  return Number.isFinite(byteStart) ? { byteStart, byteEnd } : { byteStart: 0, byteEnd: 0 };
}

/**
 * Reads a Parquet file's footer (FileMetaData, Apache Parquet format spec) through ranged reads:
 * its row groups (rows and byte ranges), and its top-level columns typed from the schema
 * (parquet-file.ts). A `list<number>` column's length is read from the first row.
 *
 * Refusals: not a Parquet file (no `PAR1` at both ends, or a footer that does not parse), no
 * columns or more than 100k, zero rows.
 */
export async function inspectParquet(source: RangeSource): Promise<DatasetInspection> {
  const file = asyncBufferOf(source);
  if (source.size < 12) throw rejectDataset(`The file is ${source.size} bytes: too short to be a Parquet file`);
  const tail = Buffer.from(await source.read(source.size - 4, source.size));
  const head = Buffer.from(await source.read(0, 4));
  if (head.toString('latin1') !== 'PAR1' || tail.toString('latin1') !== 'PAR1') throw rejectDataset('The file is not a Parquet file (it does not begin and end with PAR1)');
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw rejectDataset(`The Parquet footer cannot be read (${(error as Error).message})`);
  }
  const top = parquetSchema(metadata).children;
  if (top.length === 0) throw rejectDataset('The Parquet file has no columns');
  if (top.length > MAX_COLUMNS) throw rejectDataset(`The Parquet file has ${top.length} columns; MLHub reads at most ${MAX_COLUMNS}`);
  const rowCount = Number(metadata.num_rows);
  if (rowCount === 0) throw rejectDataset('The Parquet file has no rows');

  let rowStart = 0;
  const rowGroups = metadata.row_groups.map((group) => {
    const entry = { rowStart, rowCount: Number(group.num_rows), ...rowGroupBytes(group) };
    rowStart += entry.rowCount;
    return entry;
  }).filter((group) => group.rowCount > 0);

  const columns: DatasetColumn[] = top.map((node) => ({ name: node.element.name, type: parquetColumnType(node) }));
  const lists = columns.filter((column) => column.type === 'list<number>').slice(0, LISTED_COLUMNS_LIMIT);
  if (lists.length > 0) {
    const [first] = await parquetReadObjects({ file, metadata, columns: lists.map((column) => column.name), rowStart: 0, rowEnd: 1, compressors: PARQUET_COMPRESSORS });
    const lengths = new Map(lists.map((column) => [column.name, (first?.[column.name] as unknown[] | null | undefined)?.length]));
    columns.forEach((column, index) => {
      const length = lengths.get(column.name);
      if (length !== undefined) columns[index] = { ...column, length };
    });
  }
  return {
    format: 'parquet',
    compression: 'none',
    rowCount,
    schema: { kind: 'columns', columns: columns.slice(0, LISTED_COLUMNS_LIMIT), ...(columns.length > LISTED_COLUMNS_LIMIT ? { columnCount: columns.length } : {}) },
    readsFrom: 'data',
    layout: { kind: 'parquet', rowGroups },
  };
}
