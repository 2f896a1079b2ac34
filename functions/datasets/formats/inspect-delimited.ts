import type { Readable } from 'node:stream';
import { CheckpointRecorder, type CheckpointSpacing } from './checkpoints';
import { ColumnTyper, TYPED_ROWS } from './column-types';
import { CsvRecordScanner } from './csv-records';
import { MAX_COLUMNS, MAX_RECORD_CHARS, type Delimiter } from './csv-dialect';
import { LISTED_COLUMNS_LIMIT, type DatasetLayout, type DatasetSchema } from './dataset-types';
import { rejectDataset } from './refusal';
import { textType } from './text-number';

export interface InspectedBody {
  readonly rowCount: number;
  readonly schema: DatasetSchema;
  readonly layout: DatasetLayout;
}

/**
 * Header names as columns: an empty name (pandas writes one over its index) becomes
 * `column_<i>` (0-based position); a name given twice refuses the dataset, since `columns` could
 * not say which one it means.
 */
export function headerColumns(header: readonly string[], kind: string): string[] {
  if (header.length > MAX_COLUMNS) throw rejectDataset(`The ${kind} header has ${header.length} columns; MLHub reads at most ${MAX_COLUMNS}`);
  const names = header.map((name, index) => (name.trim().length === 0 ? `column_${index}` : name));
  const first = new Map<string, number>();
  names.forEach((name, index) => {
    const earlier = first.get(name);
    if (earlier !== undefined) throw rejectDataset(`The ${kind} header names column ${JSON.stringify(name)} twice (columns ${earlier} and ${index}, 0-based); rename one`);
    first.set(name, index);
  });
  return names;
}

/** csv-parse's faults as refusals: where (line) and what. */
function describeCsvError(error: unknown, kind: string): Error {
  const code = (error as { code?: unknown })?.code;
  const line = (error as { lines?: unknown })?.lines;
  const where = typeof line === 'number' ? ` at line ${line}` : '';
  if (code === 'CSV_MAX_RECORD_SIZE') return rejectDataset(`A ${kind} record${where} is longer than ${MAX_RECORD_CHARS} characters`);
  if (code === 'CSV_QUOTE_NOT_CLOSED') return rejectDataset(`A quoted ${kind} field opened before the end of the file is never closed (RFC 4180 §2.7)${where}`);
  if (typeof code === 'string' && code.startsWith('CSV_')) return rejectDataset(`The ${kind} cannot be parsed${where}: ${(error as Error).message}`);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Streams a CSV or TSV once (RFC 4180, csv-dialect.ts; records split by csv-records.ts): the
 * header row names the columns, every later record is a row. Records checkpoints at record starts (quotes respected), counts rows and
 * types columns from the first 1000 rows (column-types.ts).
 *
 * Refusals (`dataset_rejected`): no header row, a header over 100k columns or naming a column
 * twice, zero rows, a record over 16 Mi characters, a quote never closed. Rows with another
 * column count or values that are not numbers are not refusals.
 */
export async function inspectDelimited(plain: Readable, delimiter: Delimiter, spacing: CheckpointSpacing): Promise<InspectedBody> {
  const kind = delimiter === ',' ? 'CSV' : 'TSV';
  let header: string[] | undefined;
  let typers: ColumnTyper[] = [];
  let rows = 0;
  let end = 0;
  const recorder = new CheckpointRecorder(spacing);
  const scanner = new CsvRecordScanner(delimiter, ({ fields, start }) => {
    if (!header) {
      header = headerColumns(fields, kind);
      typers = header.map(() => new ColumnTyper());
      return;
    }
    recorder.recordStart(rows, start);
    if (rows < TYPED_ROWS) fields.forEach((field, index) => typers[index]?.see(textType(field)));
    rows += 1;
  });
  try {
    for await (const chunk of plain) {
      end += (chunk as Buffer).length;
      scanner.write(chunk as Buffer);
    }
    scanner.end();
  } catch (error) {
    throw describeCsvError(error, kind);
  }
  if (!header) throw rejectDataset(`The ${kind} is empty: it needs a header row naming its columns`);
  if (rows === 0) throw rejectDataset(`The ${kind} has a header row but no data rows`);
  const columns = header.map((name, index) => ({ name, type: typers[index]!.type }));
  return {
    rowCount: rows,
    schema: { kind: 'columns', columns: columns.slice(0, LISTED_COLUMNS_LIMIT), ...(columns.length > LISTED_COLUMNS_LIMIT ? { columnCount: columns.length } : {}) },
    layout: { kind: 'lines', end, checkpoints: recorder.finish(rows, end), header, recordDelimiter: scanner.detectedDelimiter },
  };
}
