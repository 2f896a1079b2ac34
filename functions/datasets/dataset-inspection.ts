/**
 * The one seam between the dataset resource and the reading of formats (docs: /work/wt/DESIGN15.md,
 * "Formats and the inspection"). Everything under functions/datasets/ but formats/ reads datasets
 * through this module only.
 *
 * TO BE REPLACED AT MERGE by re-exports of functions/datasets/formats/ (detectFormat,
 * inspectDataset, inspectParquet and their types), built in parallel. What is here is a minimal
 * working inspection for CSV only (a header row, and data rows counted as lines), so that the
 * resource can be built and tested end to end: it does not honour quoted newlines (RFC 4180), and
 * every other format is refused as not yet supported.
 */
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Transform, Writable, type Readable } from 'node:stream';

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet' | 'npy' | 'image-tar';
export type DatasetCompression = 'none' | 'gzip';
export const DATASET_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet', 'npy', 'image-tar'] as const satisfies readonly DatasetFormat[];

export type ColumnType = 'number' | 'integer' | 'string' | 'boolean' | 'list<number>' | 'null' | 'mixed';

/** What the dataset record shows (small: fits a DynamoDB item). */
export type DatasetSchema =
  | { kind: 'columns'; columns: { name: string; type: ColumnType }[] }
  | { kind: 'array'; shape: number[]; dtype: string }
  | { kind: 'images'; formats: { png: number; jpeg: number } };

/** Per-format facts the planner and readers need, stored as layout.json (formats/ gives its shape). */
export type DatasetLayout = Readonly<Record<string, unknown>>;

export interface DatasetInspection {
  format: DatasetFormat;
  compression: DatasetCompression;
  rowCount: number;
  schema: DatasetSchema;
  /** Which object chunks read: 'data', or 'plain' for a gzip upload of a line format or a tar. */
  readsFrom: 'data' | 'plain';
  layout: DatasetLayout;
}

/** A structural fault of the file as a whole: the dataset becomes `rejected` with this message. */
export class DatasetRefusal extends Error {
  override readonly name = 'DatasetRefusal';
}

/** Bytes of an object by range, end exclusive (an S3 ranged GET in production). */
export interface RangeSource {
  readonly size: number;
  read(start: number, end: number): Promise<Uint8Array>;
  stream(start: number, end: number): Promise<Readable>;
}

/** By magic bytes first (gzip 1f8b, PAR1, \x93NUMPY, ustar at 257), then by extension; undefined when neither says. */
export function detectFormat(filename: string, firstBytes: Uint8Array): { format: DatasetFormat; compression: DatasetCompression } | undefined {
  const gzip = firstBytes[0] === 0x1f && firstBytes[1] === 0x8b;
  const lower = filename.toLowerCase();
  if (!gzip && Buffer.from(firstBytes.subarray(0, 4)).toString('latin1') === 'PAR1') return { format: 'parquet', compression: 'none' };
  if (!gzip && Buffer.from(firstBytes.subarray(0, 6)).toString('latin1') === '\x93NUMPY') return { format: 'npy', compression: 'none' };
  const base = lower.replace(/\.(gz|tgz)$/, (ext) => (ext === '.tgz' ? '.tar' : ''));
  const compression: DatasetCompression = gzip || /\.(gz|tgz)$/.test(lower) ? 'gzip' : 'none';
  const byExtension: Record<string, DatasetFormat> = { csv: 'csv', tsv: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl', parquet: 'parquet', npy: 'npy', tar: 'image-tar' };
  const format = byExtension[/\.([a-z]+)$/.exec(base)?.[1] ?? ''];
  return format ? { format, compression } : undefined;
}

export interface InspectOptions {
  readonly filename: string;
  readonly format: DatasetFormat;
  readonly compression: DatasetCompression;
  /** Where the decompressed bytes of a gzip upload go while they are inspected (the `plain` object). */
  readonly plainSink?: () => Writable;
}

/**
 * Reads the object once as a stream and describes it (CSV only here; see the module's comment).
 * Throws DatasetRefusal for a file that is not a dataset; any other error is a fault of reading.
 */
export async function inspectDataset(stream: Readable, options: InspectOptions): Promise<DatasetInspection> {
  if (options.format !== 'csv') {
    stream.resume();
    throw new DatasetRefusal(`Format ${options.format} is not supported yet; upload a CSV file`);
  }
  const counter = lineCounter();
  const gzip = options.compression === 'gzip';
  const sink = (gzip ? options.plainSink?.() : undefined) ?? new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await (gzip ? pipeline(stream, createGunzip(), counter.transform, sink) : pipeline(stream, counter.transform, sink));
  } catch (error) {
    // zlib's codes for bytes that are not a gzip stream, or one cut short.
    const code = (error as { code?: string }).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new DatasetRefusal(`The file is not valid gzip: ${(error as Error).message}`);
    throw error;
  }
  const { header, rows } = counter.result();
  if (header === undefined || header.trim() === '') throw new DatasetRefusal('The CSV file has no header row');
  if (rows === 0) throw new DatasetRefusal('The CSV file has a header but no data rows');
  const names = header.replace(/^\uFEFF/, '').split(',').map((name) => name.trim().replace(/^"(.*)"$/, '$1'));
  return {
    format: 'csv',
    compression: options.compression,
    rowCount: rows,
    schema: { kind: 'columns', columns: names.map((name) => ({ name, type: 'mixed' as const })) },
    readsFrom: gzip ? 'plain' : 'data',
    layout: { minimal: true },
  };
}

/** Passes the bytes on, counting non-empty lines after the first and keeping the first (the header) up to 1 MiB. */
function lineCounter(): { transform: Transform; result: () => { header: string | undefined; rows: number } } {
  let header: string | undefined;
  let headerBytes: Buffer[] = [];
  let rows = 0;
  let lineHasContent = false;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let start = 0;
      for (let i = 0; i < chunk.length; i += 1) {
        const byte = chunk[i] as number;
        if (byte === 0x0a) {
          if (header === undefined) {
            headerBytes.push(chunk.subarray(start, i));
            header = Buffer.concat(headerBytes).toString('utf8').replace(/\r$/, '');
            headerBytes = [];
          } else if (lineHasContent) rows += 1;
          lineHasContent = false;
          start = i + 1;
        } else if (byte !== 0x0d && header !== undefined) lineHasContent = true;
      }
      if (header === undefined) {
        headerBytes.push(chunk.subarray(start));
        if (headerBytes.reduce((sum, part) => sum + part.length, 0) > 1024 * 1024) return done(new DatasetRefusal('The header line is longer than 1 MiB'));
      }
      done(null, chunk);
    },
  });
  return {
    transform,
    result: () => {
      if (header === undefined && headerBytes.length > 0) header = Buffer.concat(headerBytes).toString('utf8').replace(/\r$/, '');
      return { header, rows: rows + (lineHasContent ? 1 : 0) };
    },
  };
}

/** Parquet is read by its footer (hyparquet in formats/); not here yet: refused, as every format but CSV. */
export async function inspectParquet(_source: RangeSource): Promise<DatasetInspection> {
  throw new DatasetRefusal('Format parquet is not supported yet; upload a CSV file');
}
