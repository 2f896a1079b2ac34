import type { Options } from 'csv-parse';

/** A record longer than this many characters refuses the dataset: no model takes such a row. */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

/** Tabular formats have at most this many columns. */
export const MAX_COLUMNS = 100_000;

export type Delimiter = ',' | '\t';

/**
 * The one set of csv-parse options both the inspection and the chunk readers use, so a chunk
 * parsed from a record start splits records exactly as the whole file did. RFC 4180: fields in
 * double quotes may hold delimiters, quotes doubled and line breaks (§2.5-2.7); beyond it, as
 * pandas reads: a UTF-8 BOM is dropped, blank lines are skipped, a quote inside an unquoted
 * field is kept as text, and rows may have another column count (reported per row by readers).
 * `recordDelimiter` is the one detected on the whole file, so a chunk never detects another.
 */
export function csvOptions(delimiter: Delimiter, recordDelimiter?: string): Options {
  return {
    delimiter,
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    ...(recordDelimiter ? { record_delimiter: recordDelimiter } : {}),
  };
}

/** A record with the byte offset just past it (csv-parse's `info.bytes`, BOM included). */
export interface CsvRecord {
  readonly record: string[];
  readonly info: { readonly bytes: number; readonly lines: number };
}

/** The record delimiter csv-parse settled on, read from its normalised options once parsing is done. */
export function detectedRecordDelimiter(parser: unknown): string | undefined {
  const found = (parser as { options?: { record_delimiter?: Buffer[] } }).options?.record_delimiter?.[0];
  return found ? found.toString('utf8') : undefined;
}
