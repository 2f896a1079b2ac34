import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { zstdStored } from './zstd-stored';

export type ParquetCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'ZSTD';

/**
 * Writes a Parquet file with hyparquet-writer: the given columns, row groups of `rowGroupSize`
 * rows, pages compressed with `codec` (gzip by node:zlib, zstd as stored frames, zstd-stored.ts).
 * A `schema` (flat SchemaElement list, root first) writes LIST columns: `listColumn` makes one.
 */
export function writeParquet(columns: ColumnSource[], options: { rowGroupSize?: number | number[]; codec?: ParquetCodec; schema?: SchemaElement[] } = {}): Buffer {
  const buffer = parquetWriteBuffer({
    columnData: columns,
    codec: options.codec ?? 'SNAPPY',
    compressors: { GZIP: (input) => gzipSync(input), ZSTD: zstdStored },
    ...(options.schema ? { schema: options.schema } : {}),
    ...(options.rowGroupSize !== undefined ? { rowGroupSize: options.rowGroupSize } : {}),
  });
  return Buffer.from(buffer);
}

/** The schema elements of a three-level LIST column of FLOAT or DOUBLE (Parquet LogicalTypes.md, "Lists"). */
export function listColumn(name: string, element: 'FLOAT' | 'DOUBLE' = 'DOUBLE'): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: element, repetition_type: 'REQUIRED' },
  ];
}
