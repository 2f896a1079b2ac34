/**
 * The shapes shared by format detection, the inspection, the chunk planner and the chunk readers
 * (the seams of /work/wt/DESIGN15.md). Row numbers are 0-based data rows, header excluded.
 */

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet' | 'npy' | 'image-tar';
export type DatasetCompression = 'none' | 'gzip';

export type ColumnType = 'number' | 'integer' | 'string' | 'boolean' | 'list<number>' | 'null' | 'mixed';

/**
 * One column as the record shows it. `length` is the number of values of a `list<number>` column,
 * read from its first row: every row must then hold that many (a row with another count is a bad row).
 */
export interface DatasetColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly length?: number;
}

/** At most this many columns are listed on the record; `columnCount` says how many there are. */
export const LISTED_COLUMNS_LIMIT = 1000;

/** What the dataset record shows (small enough for a DynamoDB item). */
export type DatasetSchema =
  | { readonly kind: 'columns'; readonly columns: readonly DatasetColumn[]; readonly columnCount?: number }
  /** NPY (dtype as numpy writes it, `<f4`) and JSON Lines of arrays (`<f8`): shape[0] is the row count. */
  | { readonly kind: 'array'; readonly shape: readonly number[]; readonly dtype: string }
  | { readonly kind: 'images'; readonly formats: { readonly png: number; readonly jpeg: number } };

/** A record start in a line format: `row` rows come before byte `offset` of the object read. */
export interface Checkpoint {
  readonly row: number;
  readonly offset: number;
}

/**
 * Per-format facts the planner and readers need (stored as `layout.json`, which may be large).
 * - `lines` (csv, tsv, jsonl): `checkpoints` are record starts in row order, the first at the first
 *   data record, the last `{row: rowCount, offset: end}`; `header` the CSV/TSV column names as read
 *   (all of them, even past the listed limit), `recordDelimiter` the one csv-parse detected.
 * - `parquet`: the row groups, each with its first row and its byte range (column chunks).
 * - `npy`: where the data starts and how many bytes a row takes.
 * - `tar`: image members in archive order (data offset and size, name, and the format its magic
 *   bytes show, or the other format it is, for members named like images), and what was skipped.
 */
export type DatasetLayout =
  | {
    readonly kind: 'lines';
    readonly end: number;
    readonly checkpoints: readonly Checkpoint[];
    readonly header?: readonly string[];
    readonly recordDelimiter?: string;
  }
  | { readonly kind: 'parquet'; readonly rowGroups: readonly { readonly rowStart: number; readonly rowCount: number; readonly byteStart: number; readonly byteEnd: number }[] }
  | { readonly kind: 'npy'; readonly dataOffset: number; readonly rowBytes: number; readonly rowValues: number; readonly dtype: string }
  | {
    readonly kind: 'tar';
    readonly members: readonly TarMember[];
    readonly ignored: { readonly directories: number; readonly metadata: number; readonly other: number };
  };

export interface TarMember {
  readonly name: string;
  /** Where the member's data starts in the (uncompressed) tar. */
  readonly offset: number;
  readonly size: number;
  /** `png`/`jpeg` by magic bytes, else what else it is (`GIF`, or `unknown`) for a member named like an image. */
  readonly format: string;
}

export interface DatasetInspection {
  readonly format: DatasetFormat;
  readonly compression: DatasetCompression;
  readonly rowCount: number;
  readonly schema: DatasetSchema;
  /** Which object chunks read: 'data', or 'plain' for a gzip upload (its decompressed copy). */
  readonly readsFrom: 'data' | 'plain';
  readonly layout: DatasetLayout;
}

/** One unit of work: rows [rowStart, rowStart + rowCount); its JSON stays under 1 KB (a Step Functions item). */
export interface DatasetChunk {
  readonly index: number;
  readonly rowStart: number;
  readonly rowCount: number;
  /** Byte range [start, end) of the object chunks read from, where the format has one. */
  readonly byteStart?: number;
  readonly byteEnd?: number;
  readonly rowGroups?: readonly number[];
}

/**
 * A row as a reader yields it, `row` being its global 0-based number. Exactly one of `values`
 * (the selected columns or the array row, flattened), `named` (one run per named input), `image`
 * or `error` (one line, naming the column) is set; `kept` holds the columns the job keeps.
 */
export interface ChunkRow {
  readonly row: number;
  values?: Float64Array;
  named?: Record<string, Float64Array>;
  image?: Buffer;
  kept?: Record<string, unknown>;
  error?: string;
}
