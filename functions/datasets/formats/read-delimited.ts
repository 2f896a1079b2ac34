import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalid } from '../../errors/app-error';
import type { ResolvedSelection, SelectedColumn } from './column-selection';
import { csvOptions, type CsvRecord, type Delimiter } from './csv-dialect';
import type { ChunkRow, DatasetChunk, DatasetLayout } from './dataset-types';
import type { RangeSource } from './range-source';
import { RowAssembler } from './row-assembler';
import { plainDecimalBytes } from './text-number';

type Lines = Extract<DatasetLayout, { kind: 'lines' }>;

const QUOTE = 0x22;

/** Column positions by header name; a selected name the header lacks is a fault of the job, not of a row. */
function positions(header: readonly string[], selection: Extract<ResolvedSelection, { kind: 'columns' | 'named' }>): Map<string, number> {
  const byName = new Map(header.map((name, index) => [name, index]));
  const wanted = [
    ...(selection.kind === 'named' ? selection.inputs.flatMap((input) => input.columns) : selection.columns === 'all' ? [] : selection.columns).map((column) => column.name),
    ...selection.keep,
  ];
  for (const name of wanted) if (!byName.has(name)) throw invalid('invalid_columns', `The dataset has no column ${JSON.stringify(name)}`);
  return byName;
}

/**
 * Records of text without a single quote character: with no quotes, RFC 4180 records are the
 * lines between record delimiters and fields the pieces between delimiters, exactly as csv-parse
 * splits them with the same dialect (empty lines skipped), at a fraction of its cost.
 */
function* unquotedRecords(bytes: Uint8Array, delimiter: Delimiter, recordDelimiter: string): Generator<string[]> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf(recordDelimiter, from);
    if (to === -1) to = text.length;
    if (to > from) yield text.slice(from, to).split(delimiter);
    from = to + recordDelimiter.length;
  }
}

/**
 * Rows of text without a single quote character, read from the bytes: the record delimiter found
 * by Buffer.indexOf, each field between delimiters, and each selected field parsed as a plain
 * decimal in place (text-number.ts plainDecimalBytes), so a row of hundreds of numbers makes no
 * strings. A record with another field count, or any selected field in another form, is split
 * into strings and built by the assembler's rules instead (the same row `unquotedRecords` and
 * `build` give). Kept fields are decoded as text, as a split would give them.
 */
function* plainNumberRows(bytes: Uint8Array, delimiter: Delimiter, recordDelimiter: string, header: readonly string[], byName: ReadonlyMap<string, number>, assembler: RowAssembler, inputs: readonly { readonly name: string; readonly keys: readonly (string | number)[] }[], firstRow: number): Generator<ChunkRow> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const separator = delimiter.charCodeAt(0);
  const { named, keep } = assembler.shape;
  const width = inputs.reduce((total, input) => total + input.keys.length, 0);
  // Per field position, the places in the row's values it fills (a column may be chosen twice).
  const targets: number[][] = header.map(() => []);
  let offset = 0;
  for (const input of inputs) {
    input.keys.forEach((key, index) => targets[key as number]!.push(offset + index));
    offset += input.keys.length;
  }
  const keptAt = keep.map((name) => byName.get(name)!);
  const keptText: string[] = new Array<string>(keptAt.length);
  let row = firstRow;
  let from = 0;
  while (from < buffer.length) {
    let to = buffer.indexOf(recordDelimiter, from);
    if (to === -1) to = buffer.length;
    if (to > from) {
      const values = new Float64Array(width);
      let field = 0;
      let start = from;
      let plain = true;
      for (let at = from; at <= to && plain; at += 1) {
        if (at < to && buffer[at] !== separator) continue;
        if (field < targets.length) {
          const places = targets[field]!;
          if (places.length > 0) {
            const value = plainDecimalBytes(buffer, start, at);
            if (value === undefined) plain = false;
            else for (const place of places) values[place] = value;
          }
          const kept = keptAt.indexOf(field);
          if (kept !== -1) for (let index = kept; index < keptAt.length; index += 1) if (keptAt[index] === field) keptText[index] = buffer.toString('utf8', start, at);
        }
        field += 1;
        start = at + 1;
      }
      if (plain && field === header.length) {
        const result: ChunkRow = { row };
        if (named) {
          let at = 0;
          result.named = Object.fromEntries(inputs.map((input) => {
            const slice = values.subarray(at, at + input.keys.length);
            at += input.keys.length;
            return [input.name, slice];
          }));
        } else result.values = values;
        if (keep.length > 0) result.kept = Object.fromEntries(keep.map((name, index) => [name, keptText[index]]));
        yield result;
      } else {
        const record = buffer.toString('utf8', from, to).split(delimiter);
        yield record.length !== header.length
          ? { row, error: `the row has ${record.length} fields where the header has ${header.length} columns` }
          : assembler.build(row, (key) => record[key as number], (name) => record[byName.get(name)!]);
      }
      row += 1;
    }
    from = to + recordDelimiter.length;
  }
}

async function* parsedRecords(bytes: Uint8Array, delimiter: Delimiter, recordDelimiter: string | undefined): AsyncGenerator<string[]> {
  const parser = parse(csvOptions(delimiter, recordDelimiter));
  const flowing = pipeline(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), parser);
  flowing.catch(() => undefined);
  try {
    for await (const { record } of parser as AsyncIterable<CsvRecord>) yield record;
    await flowing;
  } finally {
    parser.destroy();
  }
}

/**
 * Reads a CSV/TSV chunk: one ranged read of its bytes (they start and end at record starts, and
 * the planner bounds their size), split into records by csv-parse with the inspection's dialect
 * and record delimiter, or directly when the chunk holds no quote at all. Every record is a row;
 * a record with another field count than the header is an error row.
 */
export async function* readDelimited(layout: Lines, chunk: DatasetChunk, source: RangeSource, selection: Extract<ResolvedSelection, { kind: 'columns' | 'named' }>, delimiter: Delimiter): AsyncGenerator<ChunkRow> {
  const header = layout.header ?? [];
  const byName = positions(header, selection);
  const keptSet = new Set(selection.keep);
  const all: SelectedColumn[] = header.filter((name) => !keptSet.has(name)).map((name) => ({ name }));
  const assembler = new RowAssembler(selection, true, all, (name) => byName.get(name)!);
  const bytes = await source.read(chunk.byteStart ?? 0, chunk.byteEnd ?? source.size);
  const scalar = assembler.scalarKeys();
  if (layout.recordDelimiter && scalar && bytes.indexOf(QUOTE) === -1) {
    let row = chunk.rowStart;
    for (const built of plainNumberRows(bytes, delimiter, layout.recordDelimiter, header, byName, assembler, scalar, chunk.rowStart)) {
      yield built;
      row += 1;
    }
    if (row !== chunk.rowStart + chunk.rowCount) throw new Error(`Chunk ${chunk.index} holds ${row - chunk.rowStart} rows where the inspection found ${chunk.rowCount}: the object changed since it was inspected`);
    return;
  }
  const records = layout.recordDelimiter && bytes.indexOf(QUOTE) === -1
    ? unquotedRecords(bytes, delimiter, layout.recordDelimiter)
    : parsedRecords(bytes, delimiter, layout.recordDelimiter);
  let row = chunk.rowStart;
  for await (const record of records) {
    if (record.length !== header.length) {
      yield { row, error: `the row has ${record.length} fields where the header has ${header.length} columns` };
    } else {
      yield assembler.build(row, (key) => record[key as number], (name) => record[byName.get(name)!]);
    }
    row += 1;
  }
  if (row !== chunk.rowStart + chunk.rowCount) throw new Error(`Chunk ${chunk.index} holds ${row - chunk.rowStart} rows where the inspection found ${chunk.rowCount}: the object changed since it was inspected`);
}
