import { invalid, type AppError } from '../../errors/app-error';
import type { DatasetColumn, DatasetSchema } from './dataset-types';

/** A column fed to the model; a `list<number>` column contributes `length` values, any other one. */
export interface SelectedColumn {
  readonly name: string;
  readonly length?: number;
}

/**
 * What a job reads from each row, resolved against the dataset's schema:
 * - `columns`: the listed columns' values, flattened in order into one row (`ChunkRow.values`);
 *   `columns: 'all'` means every column of a CSV/TSV header but the kept ones, for files with more
 *   columns than the record lists;
 * - `named`: one run of values per model input (`ChunkRow.named`);
 * - `array`: the NPY or JSON Lines array row, flattened (`values`);
 * - `images`: the member's bytes (`image`).
 * `keep` names what rides beside the predictions (`ChunkRow.kept`): columns, or `path` for images.
 */
export type ResolvedSelection =
  | { readonly kind: 'columns'; readonly columns: readonly SelectedColumn[] | 'all'; readonly keep: readonly string[] }
  | { readonly kind: 'named'; readonly inputs: readonly { readonly name: string; readonly columns: readonly SelectedColumn[] }[]; readonly keep: readonly string[] }
  | { readonly kind: 'array'; readonly keep: readonly [] }
  | { readonly kind: 'images'; readonly keep: readonly string[] };

/** The one thing an image row can keep beside its prediction: the member's path in the archive. */
export const IMAGE_PATH = 'path';

const MAX_NAMED_INPUTS = 64;

const bad = (message: string): AppError => invalid('invalid_columns', message);

const quote = (name: string): string => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/** Looks columns up by name; when the record lists only the first 1000, other names pass unchecked (the reader checks them). */
class ColumnIndex {
  private readonly byName: ReadonlyMap<string, DatasetColumn>;
  readonly complete: boolean;

  constructor(schema: Extract<DatasetSchema, { kind: 'columns' }>) {
    this.byName = new Map(schema.columns.map((column) => [column.name, column]));
    this.complete = schema.columnCount === undefined || schema.columnCount <= schema.columns.length;
  }

  find(name: unknown, field: string): DatasetColumn {
    if (typeof name !== 'string' || name.length === 0) throw bad(`${field} must be a column name (a non-empty string)`);
    const column = this.byName.get(name);
    if (column) return column;
    if (!this.complete) return { name, type: 'mixed' };
    const names = [...this.byName.keys()];
    throw bad(`${field} names column ${quote(name)}, which the dataset does not have (its columns: ${names.slice(0, 10).map(quote).join(', ')}${names.length > 10 ? ', …' : ''})`);
  }

  input(name: unknown, field: string): SelectedColumn {
    const column = this.find(name, field);
    if (column.type === 'string') throw bad(`${field} names column ${quote(column.name)}, which holds text, not numbers; keep it beside the predictions with \`keep\` instead`);
    return column.type === 'list<number>' && column.length !== undefined ? { name: column.name, length: column.length } : { name: column.name };
  }

  get listed(): readonly DatasetColumn[] {
    return [...this.byName.values()];
  }
}

function nameList(value: unknown, field: string, pick: (name: unknown, where: string) => SelectedColumn): SelectedColumn[] {
  if (!Array.isArray(value)) throw bad(`${field} must be an array of column names`);
  if (value.length === 0) throw bad(`${field} must name at least one column`);
  const seen = new Map<string, number>();
  return value.map((name, index) => {
    const column = pick(name, `${field}[${index}]`);
    const earlier = seen.get(column.name);
    if (earlier !== undefined) throw bad(`${field}[${index}] names column ${quote(column.name)} again (as ${field}[${earlier}])`);
    seen.set(column.name, index);
    return column;
  });
}

function keepList(keep: unknown, check: (name: unknown, where: string) => string): string[] {
  if (keep === undefined || keep === null) return [];
  if (!Array.isArray(keep)) throw bad('keep must be an array of column names');
  const names = keep.map((name, index) => check(name, `keep[${index}]`));
  const first = names.findIndex((name, index) => names.indexOf(name) !== index);
  if (first !== -1) throw bad(`keep[${first}] names ${quote(names[first]!)} twice`);
  return names;
}

function resolveColumns(schema: Extract<DatasetSchema, { kind: 'columns' }>, columns: unknown, keepValue: unknown): ResolvedSelection {
  const index = new ColumnIndex(schema);
  const keep = keepList(keepValue, (name, where) => index.find(name, where).name);
  const pick = (name: unknown, where: string): SelectedColumn => index.input(name, where);
  if (columns === undefined || columns === null) {
    if (!index.complete) return { kind: 'columns', columns: 'all', keep };
    const inputs = index.listed.filter((column) => !keep.includes(column.name));
    if (inputs.length === 0) throw bad('columns: every column is kept, so none is left as input; list the input columns in `columns`');
    const text = inputs.find((column) => column.type === 'string');
    if (text) throw bad(`columns: without a list every column not kept is an input, and column ${quote(text.name)} holds text; list the input columns in \`columns\` (and \`keep\` the others)`);
    return { kind: 'columns', columns: inputs.map((column) => pick(column.name, 'columns')), keep };
  }
  if (Array.isArray(columns)) return { kind: 'columns', columns: nameList(columns, 'columns', pick), keep };
  if (typeof columns === 'object') {
    const entries = Object.entries(columns as Record<string, unknown>);
    if (entries.length === 0) throw bad('columns must name at least one input');
    if (entries.length > MAX_NAMED_INPUTS) throw bad(`columns names more than ${MAX_NAMED_INPUTS} inputs`);
    const inputs = entries.map(([name, value]) => {
      if (name.length === 0 || name.length > 256) throw bad('Every input name in columns must have 1 to 256 characters');
      const field = `columns.${name}`;
      return { name, columns: typeof value === 'string' ? [pick(value, field)] : nameList(value, field, pick) };
    });
    return { kind: 'named', inputs, keep };
  }
  throw bad('columns must be an array of column names, or an object mapping each model input to its column names');
}

/**
 * Resolves a job's `columns` and `keep` against a dataset's schema (the job route calls it to
 * answer 400 before anything runs). Absent `columns` means every column not kept, in file order
 * (refused when one of them holds text). Errors are AppErrors `invalid_columns` naming the entry:
 * `columns[2]`, `columns.x[0]`, `keep[1]`; array and image datasets take no `columns`, and keep
 * only `path` (images).
 */
export function resolveSelection(schema: DatasetSchema, columns: unknown, keep: unknown): ResolvedSelection {
  if (schema.kind === 'columns') return resolveColumns(schema, columns, keep);
  const what = schema.kind === 'array' ? 'an array (NPY or JSON Lines of arrays): each row is fed whole' : 'an image archive: each image is fed whole';
  if (columns !== undefined && columns !== null) throw bad(`columns: the dataset is ${what}, so it has no columns to choose`);
  if (schema.kind === 'array') {
    if (keep !== undefined && keep !== null && !(Array.isArray(keep) && keep.length === 0)) throw bad('keep: an array dataset has no columns to keep');
    return { kind: 'array', keep: [] };
  }
  return {
    kind: 'images',
    keep: keepList(keep, (name, where) => {
      if (name !== IMAGE_PATH) throw bad(`${where}: an image archive can keep only ${JSON.stringify(IMAGE_PATH)} (the member's path)`);
      return IMAGE_PATH;
    }),
  };
}
