import { isAppError } from '../../errors/app-error';
import { toNumber } from '../../inference/predict-input';
import type { ResolvedSelection, SelectedColumn } from './column-selection';
import type { ChunkRow } from './dataset-types';
import { fastTextNumber, textNumber } from './text-number';

/** A field of a row by the key `keyOf` gave its column; undefined when the row lacks it. */
export type FieldGetter = (key: string | number) => unknown;

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
export const oneLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');

/** A selected column, planned once per chunk: where its value is found, and how to name it in errors. */
interface Slot {
  readonly key: string | number;
  readonly label: string;
  readonly length?: number;
}

/**
 * Builds `ChunkRow`s of the columnar formats (CSV, TSV, JSON Lines of objects, Parquet) from a
 * field getter: the selected columns' values in order, by predict's number rules (text through
 * text-number.ts, JSON and Parquet values through predict-input.ts `toNumber`); a `list<number>`
 * column gives its `length` values. A value those rules refuse, a missing column or a list of
 * another length makes the row an error row naming the column; nothing is thrown. `keyOf` maps a
 * column name to what the getter takes (a CSV field's position, an object's key), once per chunk.
 */
export class RowAssembler {
  private readonly number: (value: unknown, where: string) => number;
  private readonly fast: (value: unknown) => number | undefined;
  private readonly inputs: readonly { readonly name: string; readonly slots: readonly Slot[]; readonly width: number }[];

  constructor(
    private readonly selection: Extract<ResolvedSelection, { kind: 'columns' | 'named' }>,
    text: boolean,
    allColumns: readonly SelectedColumn[] = [],
    keyOf: (name: string) => string | number = (name) => name,
  ) {
    this.number = text ? (value, where) => textNumber(value as string, where) : valueNumber;
    this.fast = text ? (value) => fastTextNumber(value as string) : (value) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
    const plan = (columns: readonly SelectedColumn[]): { slots: Slot[]; width: number } => ({
      slots: columns.map((column) => ({ key: keyOf(column.name), label: label(column.name), ...(column.length === undefined ? {} : { length: column.length }) })),
      width: columns.reduce((width, column) => width + (column.length ?? 1), 0),
    });
    this.inputs = selection.kind === 'named'
      ? selection.inputs.map((input) => ({ name: input.name, ...plan(input.columns) }))
      : [{ name: '', ...plan(selection.columns === 'all' ? allColumns : selection.columns) }];
  }

  private fill(slots: readonly Slot[], width: number, get: FieldGetter): Float64Array {
    const out = new Float64Array(width);
    let at = 0;
    for (const slot of slots) {
      const value = get(slot.key);
      if (value === undefined) throw new RowFault(`${slot.label} is missing from the row`);
      if (slot.length === undefined) {
        out[at] = this.fast(value) ?? this.number(value, slot.label);
        at += 1;
        continue;
      }
      if (!Array.isArray(value)) throw new RowFault(`${slot.label} must hold a list of ${slot.length} numbers, found ${value === null ? 'null' : typeof value}`);
      if (value.length !== slot.length) throw new RowFault(`${slot.label} holds ${value.length} values where ${slot.length} were expected (the length of its first row)`);
      for (let index = 0; index < value.length; index += 1) out[at + index] = this.fast(value[index]) ?? this.number(value[index], `${slot.label}[${index}]`);
      at += value.length;
    }
    return out;
  }

  /**
   * Where each input's values come from, key by key in order, when every selected column is a
   * scalar (no list); undefined otherwise. Lets a reader fill rows without a getter per value
   * (read-delimited.ts), while `build` stays the rule for every row it cannot fill so.
   */
  scalarKeys(): { readonly name: string; readonly keys: readonly (string | number)[] }[] | undefined {
    if (this.inputs.some((input) => input.slots.some((slot) => slot.length !== undefined))) return undefined;
    return this.inputs.map((input) => ({ name: input.name, keys: input.slots.map((slot) => slot.key) }));
  }

  /** Whether rows carry `named` inputs (else `values`), and the kept columns' names. */
  get shape(): { readonly named: boolean; readonly keep: readonly string[] } {
    return { named: this.selection.kind === 'named', keep: this.selection.keep };
  }

  /**
   * Rows `firstRow` to `firstRow + count - 1` from decoded columns (Parquet's): `column(key)` gives
   * the column's values, the first row's at `offset`. The same rows `build` makes, one block at a
   * time: each selected column is copied into every row of the block in one pass, since a column
   * at a time is what the decoder gives and row by row through hundreds of columns is slow (bench/results/batch.md).
   * A row with any value the direct copy does not take (not a finite number, or a list) goes
   * through `build`, which gives the number rules' value or names the fault.
   */
  buildColumns(firstRow: number, count: number, column: (key: string | number) => { readonly values: ArrayLike<unknown>; readonly offset: number }): ChunkRow[] {
    const slow = new Uint8Array(count);
    const filled = this.inputs.map((input) => {
      const rows = Array.from({ length: count }, () => new Float64Array(input.width));
      let at = 0;
      for (const slot of input.slots) {
        if (slot.length !== undefined) {
          slow.fill(1);
          at += slot.length;
          continue;
        }
        const { values, offset } = column(slot.key);
        for (let index = 0; index < count; index += 1) {
          const value = values[offset + index];
          if (typeof value === 'number' && Number.isFinite(value)) rows[index]![at] = value;
          else slow[index] = 1;
        }
        at += 1;
      }
      return rows;
    });
    const get = (index: number): FieldGetter => (key) => {
      const { values, offset } = column(key);
      return values[offset + index];
    };
    return Array.from({ length: count }, (_, index): ChunkRow => {
      const row = firstRow + index;
      if (slow[index]) return this.build(row, get(index), (name) => get(index)(name));
      const result: ChunkRow = { row };
      if (this.selection.kind === 'named') result.named = Object.fromEntries(this.inputs.map((input, which) => [input.name, filled[which]![index]!]));
      else result.values = filled[0]![index]!;
      if (this.selection.keep.length > 0) result.kept = Object.fromEntries(this.selection.keep.map((name) => [name, keptValue(get(index)(name))]));
      return result;
    });
  }

  /** The row's inputs and kept values, or an error row. `kept` reads the raw value of a kept column. */
  build(row: number, get: FieldGetter, kept: (name: string) => unknown = get): ChunkRow {
    const result: ChunkRow = { row };
    try {
      if (this.selection.kind === 'named') {
        const named: Record<string, Float64Array> = {};
        for (const input of this.inputs) named[input.name] = this.fill(input.slots, input.width, get);
        result.named = named;
      } else {
        result.values = this.fill(this.inputs[0]!.slots, this.inputs[0]!.width, get);
      }
    } catch (error) {
      if (!(error instanceof RowFault) && !(isAppError(error) && error.kind === 'invalid')) throw error;
      return { row, error: oneLine(error) };
    }
    if (this.selection.keep.length > 0) result.kept = Object.fromEntries(this.selection.keep.map((name) => [name, keptValue(kept(name))]));
    return result;
  }
}
