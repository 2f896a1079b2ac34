import { CsvPartWriter } from './csv-part';
import { JsonlPartWriter } from './jsonl-part';
import { flatColumnCount, type OutputColumns } from './output-columns';
import type { OutputFormat } from './output-format';
import { ParquetPartWriter } from './parquet-part';
import type { PartWriter } from './part-rows';

export type { FailedRow, PartRow, PartWriter, WrittenPart } from './part-rows';

/**
 * The most columns a CSV or Parquet result may have, as for a dataset's (DESIGN15, refusals): an
 * output of a million elements (a segmentation mask) is a JSON Lines job, not a million columns.
 */
export const MAX_FLAT_COLUMNS = 100_000;

export class TooManyColumns extends Error {
  constructor(readonly format: OutputFormat, readonly count: number) {
    super(`${format} results would have ${count} columns, more than ${MAX_FLAT_COLUMNS}; write JSON Lines, which keeps outputs nested`);
    this.name = 'TooManyColumns';
  }
}

/** Throws TooManyColumns when the format flattens outputs into more columns than it may have. */
export function checkColumnCount(format: OutputFormat, columns: OutputColumns): void {
  const count = flatColumnCount(columns);
  if (format !== 'jsonl' && count > MAX_FLAT_COLUMNS) throw new TooManyColumns(format, count);
}

/**
 * The writer of one chunk's part in the job's format (checkColumnCount first). `chunk` is the chunk's index: the CSV
 * header goes in chunk 0's part only (csv-part.ts), so the parts concatenate into one file.
 */
export function createPartWriter(format: OutputFormat, columns: OutputColumns, chunk: number): PartWriter {
  checkColumnCount(format, columns);
  switch (format) {
    case 'jsonl':
      return new JsonlPartWriter(columns);
    case 'csv':
      return new CsvPartWriter(columns, { header: chunk === 0 });
    case 'parquet':
      return new ParquetPartWriter(columns);
  }
}
