import type { ColumnType } from './dataset-types';

/** How many rows the inspection looks at to type columns; later rows are read as the job needs them. */
export const TYPED_ROWS = 1000;

/**
 * Folds the types seen in one column into the column's type: nulls do not count (a column with
 * only nulls is `null`); integers and other numbers make `number`; anything else mixed is `mixed`.
 */
export class ColumnTyper {
  private readonly seen = new Set<ColumnType>();

  see(type: ColumnType): void {
    if (type !== 'null') this.seen.add(type);
  }

  get type(): ColumnType {
    const seen = [...this.seen];
    if (seen.length === 0) return 'null';
    if (seen.length === 1) return seen[0]!;
    return seen.every((type) => type === 'integer' || type === 'number') ? 'number' : 'mixed';
  }
}

/** The type of a JSON or Parquet value; arrays of numbers (or booleans) are `list<number>`. */
export function valueType(value: unknown): ColumnType {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value) && value.every((item) => typeof item === 'number' || typeof item === 'boolean' || typeof item === 'bigint')) return 'list<number>';
  return 'mixed';
}
