import { isAppError } from '../../errors/app-error';
import { toNumber } from '../../inference/predict-input';
import type { ResolvedSelection, SelectedColumn } from './column-selection';
import type { ChunkRow } from './dataset-types';
import { textNumber } from './text-number';

/** A field of a row by column name; undefined when the row lacks it. */
export type FieldGetter = (name: string) => unknown;

/** A value read from JSON or Parquet as predict reads it: bigints become numbers (int64 past 2^53 rounds). */
export const valueNumber = (value: unknown, where: string): number => toNumber(typeof value === 'bigint' ? Number(value) : value, where);

/** A kept value as JSON can carry it: bigints as numbers when exact (else as text), dates as ISO 8601 text, bytes as base64. */
export function keptValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(keptValue);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, keptValue(item)]));
  return value === undefined ? null : value;
}

/** A row the selection cannot read; caught into an error row. */
class RowFault extends Error {}

const label = (name: string): string => `column ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)}`;

/** The message of a value predict's rules refuse, on one line. */
const oneLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');

/**
 * Builds `ChunkRow`s of the columnar formats (CSV, TSV, JSON Lines of objects, Parquet) from a
 * field getter: the selected columns' values in order, by predict's number rules (text through
 * text-number.ts, JSON and Parquet values through predict-input.ts `toNumber`); a `list<number>`
 * column gives its `length` values. A value those rules refuse, a missing column or a list of
 * another length makes the row an error row naming the column; nothing is thrown.
 */
export class RowAssembler {
  private readonly number: (value: unknown, where: string) => number;

  constructor(private readonly selection: Extract<ResolvedSelection, { kind: 'columns' | 'named' }> & { readonly columns?: readonly SelectedColumn[] | 'all' }, text: boolean, private readonly allColumns?: readonly SelectedColumn[]) {
    this.number = text ? (value, where) => textNumber(value as string, where) : valueNumber;
  }

  private widthOf(columns: readonly SelectedColumn[]): number {
    return columns.reduce((width, column) => width + (column.length ?? 1), 0);
  }

  private fill(columns: readonly SelectedColumn[], get: FieldGetter): Float64Array {
    const out = new Float64Array(this.widthOf(columns));
    let at = 0;
    for (const column of columns) {
      const value = get(column.name);
      if (value === undefined) throw new RowFault(`${label(column.name)} is missing from the row`);
      if (column.length === undefined) {
        out[at] = this.number(value, label(column.name));
        at += 1;
        continue;
      }
      if (!Array.isArray(value)) throw new RowFault(`${label(column.name)} must hold a list of ${column.length} numbers, found ${value === null ? 'null' : typeof value}`);
      if (value.length !== column.length) throw new RowFault(`${label(column.name)} holds ${value.length} values where ${column.length} were expected (the length of its first row)`);
      for (let index = 0; index < value.length; index += 1) out[at + index] = this.number(value[index], `${label(column.name)}[${index}]`);
      at += value.length;
    }
    return out;
  }

  /** The row's inputs and kept values, or an error row. `kept` reads the raw value of a kept column. */
  build(row: number, get: FieldGetter, kept: FieldGetter = get): ChunkRow {
    const result: ChunkRow = { row };
    try {
      if (this.selection.kind === 'named') {
        const named: Record<string, Float64Array> = {};
        for (const input of this.selection.inputs) named[input.name] = this.fill(input.columns, get);
        result.named = named;
      } else {
        const columns = this.selection.columns === 'all' ? this.allColumns ?? [] : this.selection.columns;
        result.values = this.fill(columns, get);
      }
    } catch (error) {
      if (!(error instanceof RowFault) && !(isAppError(error) && error.kind === 'invalid')) throw error;
      return { row, error: oneLine(error) };
    }
    if (this.selection.keep.length > 0) result.kept = Object.fromEntries(this.selection.keep.map((name) => [name, keptValue(kept(name))]));
    return result;
  }
}
