import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { zstdStored } from './zstd-stored';

export type ParquetCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'ZSTD';

/**
 * Writes a Parquet file with hyparquet-writer: the given columns, row groups of `rowGroupSize`
 * rows, pages compressed with `codec` (gzip by node:zlib, zstd as stored frames, zstd-stored.ts).
 */
export function writeParquet(columns: ColumnSource[], options: { rowGroupSize?: number | number[]; codec?: ParquetCodec } = {}): Buffer {
  const buffer = parquetWriteBuffer({
    columnData: columns,
    codec: options.codec ?? 'SNAPPY',
    compressors: { GZIP: (input) => gzipSync(input), ZSTD: zstdStored },
    ...(options.rowGroupSize !== undefined ? { rowGroupSize: options.rowGroupSize } : {}),
  });
  return Buffer.from(buffer);
}
