import type { Readable } from 'node:stream';
import { CheckpointRecorder, type CheckpointSpacing } from './checkpoints';
import { ColumnTyper, TYPED_ROWS, valueType } from './column-types';
import { MAX_COLUMNS } from './csv-dialect';
import { LISTED_COLUMNS_LIMIT, type DatasetColumn } from './dataset-types';
import type { InspectedBody } from './inspect-delimited';
import { isBlankLine, MAX_JSONL_LINE_BYTES, parseLine } from './jsonl-rows';
import { rejectDataset } from './refusal';
import { MAX_ARRAY_DIMENSIONS } from './schema-bounds';
import { textLines } from './text-lines';

/**
 * The shape of a nested array along its first elements (predict reads rows the same way), read one
 * level past what a schema may hold (schema-bounds.ts refuses it), however deep the line nests.
 */
function arrayShape(value: unknown): number[] {
  const shape: number[] = [];
  for (let cursor = value; Array.isArray(cursor) && shape.length < MAX_ARRAY_DIMENSIONS; cursor = cursor[0]) shape.push(cursor.length);
  return shape;
}

/** Collects the columns of JSON objects in first-seen order with their types. */
class ObjectColumns {
  private readonly columns = new Map<string, { typer: ColumnTyper; length?: number }>();

  see(object: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(object)) {
      let column = this.columns.get(key);
      if (!column) {
        if (this.columns.size >= MAX_COLUMNS) throw rejectDataset(`The JSON Lines objects have more than ${MAX_COLUMNS} keys between them; MLHub reads at most ${MAX_COLUMNS} columns`);
        column = { typer: new ColumnTyper() };
        this.columns.set(key, column);
      }
      const type = valueType(value);
      column.typer.see(type);
      if (type === 'list<number>' && column.length === undefined) column.length = (value as unknown[]).length;
    }
  }

  list(): DatasetColumn[] {
    return [...this.columns].map(([name, { typer, length }]) => {
      const type = typer.type;
      return type === 'list<number>' && length !== undefined ? { name, type, length } : { name, type };
    });
  }
}

/**
 * Streams JSON Lines once (jsonlines.org: UTF-8, one JSON value per `\n`-terminated line).
 * Blank lines are skipped and are no rows. The first rows decide the kind: objects make columns
 * (their keys over the first 1000 rows, in first-seen order, typed by column-types.ts), arrays
 * make an array dataset of the first row's shape. A line that is not JSON, or of the other kind,
 * is a bad row reported when a job reads it.
 *
 * Refusals: no rows; none of the first 1000 rows an object or array; a line over 16 MiB.
 */
export async function inspectJsonl(plain: Readable, spacing: CheckpointSpacing): Promise<InspectedBody> {
  const recorder = new CheckpointRecorder(spacing);
  const objects = new ObjectColumns();
  let kind: 'objects' | 'arrays' | undefined;
  let firstShape: number[] = [];
  let rows = 0;
  let end = 0;
  const tooLong = (line: number, offset: number): Error =>
    rejectDataset(`Line ${line} (from byte ${offset}) of the JSON Lines is longer than ${MAX_JSONL_LINE_BYTES} bytes`);
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of plain) {
      end += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  for await (const line of textLines(counted(), 0, MAX_JSONL_LINE_BYTES, tooLong)) {
    if (isBlankLine(line)) continue;
    recorder.recordStart(rows, line.offset);
    if (rows < TYPED_ROWS) {
      const parsed = parseLine(line);
      const value = 'value' in parsed ? parsed.value : undefined;
      if (kind === undefined && Array.isArray(value)) {
        kind = 'arrays';
        firstShape = arrayShape(value);
      } else if (kind === undefined && typeof value === 'object' && value !== null) {
        kind = 'objects';
      }
      if (kind === 'objects' && typeof value === 'object' && value !== null && !Array.isArray(value)) objects.see(value as Record<string, unknown>);
    }
    rows += 1;
  }
  if (rows === 0) throw rejectDataset('The JSON Lines file has no rows (no line holds a JSON value)');
  if (kind === undefined) throw rejectDataset(`None of the first ${Math.min(rows, TYPED_ROWS)} lines of the JSON Lines file is a JSON object or array`);
  const layout = { kind: 'lines' as const, end, checkpoints: recorder.finish(rows, end) };
  if (kind === 'arrays') return { rowCount: rows, schema: { kind: 'array', shape: [rows, ...firstShape], dtype: '<f8' }, layout };
  const columns = objects.list();
  return {
    rowCount: rows,
    schema: { kind: 'columns', columns: columns.slice(0, LISTED_COLUMNS_LIMIT), ...(columns.length > LISTED_COLUMNS_LIMIT ? { columnCount: columns.length } : {}) },
    layout,
  };
}
