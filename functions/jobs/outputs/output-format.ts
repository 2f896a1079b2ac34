/**
 * The file formats a job writes its results in (issue 15: `output`), with the key extension and
 * the Content-Type the assembled object is stored with: JSON Lines (jsonlines.org, served as
 * `application/jsonl`), CSV (RFC 4180 §3, `text/csv`) and Apache Parquet (IANA
 * `application/vnd.apache.parquet`).
 */
export type OutputFormat = 'jsonl' | 'csv' | 'parquet';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jsonl', 'csv', 'parquet'];

export const OUTPUT_CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  jsonl: 'application/jsonl',
  csv: 'text/csv; charset=utf-8; header=present',
  parquet: 'application/vnd.apache.parquet',
};
