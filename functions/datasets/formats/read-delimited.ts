import { parse } from 'csv-parse';
import { pipeline } from 'node:stream/promises';
import { invalid } from '../../errors/app-error';
import type { ResolvedSelection, SelectedColumn } from './column-selection';
import { csvOptions, type CsvRecord, type Delimiter } from './csv-dialect';
import type { ChunkRow, DatasetChunk, DatasetLayout } from './dataset-types';
import type { RangeSource } from './range-source';
import { RowAssembler } from './row-assembler';

type Lines = Extract<DatasetLayout, { kind: 'lines' }>;

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
 * Reads a CSV/TSV chunk: streams its byte range (it starts and ends at record starts) through
 * csv-parse with the inspection's dialect and record delimiter. Every record is a row; a record
 * with another field count than the header is an error row.
 */
export async function* readDelimited(layout: Lines, chunk: DatasetChunk, source: RangeSource, selection: Extract<ResolvedSelection, { kind: 'columns' | 'named' }>, delimiter: Delimiter): AsyncGenerator<ChunkRow> {
  const header = layout.header ?? [];
  const byName = positions(header, selection);
  const keptSet = new Set(selection.keep);
  const all: SelectedColumn[] = header.filter((name) => !keptSet.has(name)).map((name) => ({ name }));
  const assembler = new RowAssembler(selection, true, all);
  const parser = parse(csvOptions(delimiter, layout.recordDelimiter));
  const flowing = pipeline(await source.stream(chunk.byteStart ?? 0, chunk.byteEnd ?? source.size), parser);
  flowing.catch(() => undefined);
  let row = chunk.rowStart;
  try {
    for await (const { record } of parser as AsyncIterable<CsvRecord>) {
      if (record.length !== header.length) {
        yield { row, error: `the row has ${record.length} fields where the header has ${header.length} columns` };
      } else {
        const get = (name: string): unknown => record[byName.get(name)!];
        yield assembler.build(row, get);
      }
      row += 1;
    }
    await flowing;
  } finally {
    parser.destroy();
  }
  if (row !== chunk.rowStart + chunk.rowCount) throw new Error(`Chunk ${chunk.index} holds ${row - chunk.rowStart} rows where the inspection found ${chunk.rowCount}: the object changed since it was inspected`);
}
