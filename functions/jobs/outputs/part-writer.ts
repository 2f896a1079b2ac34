import { CsvPartWriter } from './csv-part';
import { JsonlPartWriter } from './jsonl-part';
import type { OutputColumns } from './output-columns';
import type { OutputFormat } from './output-format';
import { ParquetPartWriter } from './parquet-part';
import type { PartWriter } from './part-rows';

export type { FailedRow, PartRow, PartWriter, WrittenPart } from './part-rows';

/**
 * The writer of one chunk's part in the job's format. `chunk` is the chunk's index: the CSV
 * header goes in chunk 0's part only (csv-part.ts), so the parts concatenate into one file.
 */
export function createPartWriter(format: OutputFormat, columns: OutputColumns, chunk: number): PartWriter {
  switch (format) {
    case 'jsonl':
      return new JsonlPartWriter(columns);
    case 'csv':
      return new CsvPartWriter(columns, { header: chunk === 0 });
    case 'parquet':
      return new ParquetPartWriter(columns);
  }
}
