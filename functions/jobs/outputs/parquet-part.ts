import { ByteWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { jsonNumberFromText } from '../../inference/output-values';
import { LABEL_COLUMN, outputColumnNames, PROBABILITY_COLUMN, ROW_COLUMN, type FittedPrediction, type KeptColumnType, type OutputColumns, type OutputElementKind } from './output-columns';
import { jsonText, numberText } from './output-values';
import { RowsInOrder, type PartRow } from './part-rows';

/**
 * A chunk's rows as one Parquet file (Apache Parquet format, written by hyparquet-writer), laid
 * out so that parquet-assembly.ts can join the parts of a job by their bytes: every part of a job
 * has the same schema (from OutputColumns), and no page indexes or bloom filters (whose page
 * offsets would need rewriting); statistics are kept, in the footer, which the assembler rebuilds.
 *
 * Types: `row` INT64; outputs DOUBLE (a "NaN"/"Infinity" string is the IEEE value, a digit string
 * past 2^53 the nearest double), BOOLEAN or STRING by their kind; `label` STRING and `probability`
 * DOUBLE, null when a row has no label. Kept columns by their dataset type: number DOUBLE,
 * integer INT64, boolean BOOLEAN, string STRING, and list<number>, mixed and null as STRING
 * holding the value's JSON text (strings as they are); all nullable. A kept value its column's
 * type cannot hold (text that is not a number in a number column) makes the row an error row.
 */
export const PARQUET_CODEC = 'SNAPPY';
/** Rows per row group within a part (a chunk is a few MB, so usually one group per part). */
export const PARQUET_ROW_GROUP_ROWS = 100_000;
/** The writer named in the file's created_by (Parquet format: "application version"). */
export const PARQUET_CREATED_BY = 'MLHub batch predictions (hyparquet-writer 0.17.0)';

type Cell = number | bigint | boolean | string | null;
type Convert = (value: unknown) => Cell | undefined;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const toDouble: Convert = (value) => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  if (value.trim() === '') return null;
  const parsed = jsonNumberFromText(value);
  return parsed === undefined ? undefined : Number(parsed);
};

const toInt64: Convert = (value) => {
  if (value === null || value === undefined) return null;
  let result: bigint | undefined;
  if (typeof value === 'bigint') result = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) result = BigInt(value);
  else if (typeof value === 'string' && value.trim() === '') return null;
  else if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) result = BigInt(value.trim());
  return result !== undefined && result >= INT64_MIN && result <= INT64_MAX ? result : undefined;
};

const toBoolean: Convert = (value) => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return null;
  return text === 'true' ? true : text === 'false' ? false : undefined;
};

const toText: Convert = (value) => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return jsonText(value);
};

const KEPT: Readonly<Record<KeptColumnType, { type: 'DOUBLE' | 'INT64' | 'BOOLEAN' | 'STRING'; convert: Convert }>> = {
  number: { type: 'DOUBLE', convert: toDouble },
  integer: { type: 'INT64', convert: toInt64 },
  boolean: { type: 'BOOLEAN', convert: toBoolean },
  string: { type: 'STRING', convert: toText },
  'list<number>': { type: 'STRING', convert: toText },
  mixed: { type: 'STRING', convert: toText },
  null: { type: 'STRING', convert: toText },
};

const OUTPUT: Readonly<Record<OutputElementKind, { type: 'DOUBLE' | 'BOOLEAN' | 'STRING'; convert: (value: unknown) => Cell }>> = {
  number: { type: 'DOUBLE', convert: (value) => Number(value) },
  boolean: { type: 'BOOLEAN', convert: (value) => value as boolean },
  string: { type: 'STRING', convert: (value) => value as string },
};

interface Column {
  readonly source: Omit<ColumnSource, 'data'>;
  readonly data: Cell[];
}

export class ParquetPartWriter extends RowsInOrder {
  private readonly rowColumn: Column;
  private readonly keptColumns: Column[];
  private readonly outputColumns: Column[][];
  private readonly labelColumns: [Column, Column] | undefined;

  constructor(columns: OutputColumns) {
    super(columns);
    const column = (name: string, type: ColumnSource['type'], nullable: boolean): Column => ({ source: { name, type, nullable, offsetIndex: false, columnIndex: false }, data: [] });
    this.rowColumn = column(ROW_COLUMN, 'INT64', false);
    this.keptColumns = columns.kept.map((kept) => column(kept.name, KEPT[kept.type].type, true));
    this.outputColumns = columns.outputs.map((field) => outputColumnNames(columns, field).map((name) => column(name, OUTPUT[field.kind].type, false)));
    this.labelColumns = columns.labelled ? [column(LABEL_COLUMN, 'STRING', true), column(PROBABILITY_COLUMN, 'DOUBLE', true)] : undefined;
  }

  protected write(row: PartRow, fitted: FittedPrediction): string | undefined {
    // Every value is converted before any is stored, so a refused row leaves the columns aligned.
    const kept: Cell[] = [];
    for (const [index, column] of this.columns.kept.entries()) {
      const cell = KEPT[column.type].convert(row.kept?.[column.name]);
      if (cell === undefined) return `${column.name} holds ${jsonText(row.kept?.[column.name]).slice(0, 80)}, which is not ${column.type === 'integer' ? 'an integer' : `a ${column.type}`}`;
      kept[index] = cell;
    }
    this.rowColumn.data.push(BigInt(row.row));
    kept.forEach((cell, index) => this.keptColumns[index]!.data.push(cell));
    this.columns.outputs.forEach((field, outputIndex) => {
      const convert = OUTPUT[field.kind].convert;
      const targets = this.outputColumns[outputIndex]!;
      fitted.values[outputIndex]!.forEach((value, index) => targets[index]!.data.push(convert(value)));
    });
    if (this.labelColumns) {
      this.labelColumns[0].data.push(fitted.label ?? null);
      this.labelColumns[1].data.push(fitted.probability ?? null);
    }
    return undefined;
  }

  protected body(): Buffer {
    const all = [this.rowColumn, ...this.keptColumns, ...this.outputColumns.flat(), ...(this.labelColumns ?? [])];
    const columnData = all.map((column) => ({ ...column.source, data: column.data })) as ColumnSource[];
    const writer = new ByteWriter();
    const parquet = new ParquetWriter({ writer, schema: schemaFromColumnData({ columnData }), codec: PARQUET_CODEC, createdBy: PARQUET_CREATED_BY });
    // Without a flush hook on the ByteWriter, write and finish run synchronously.
    void parquet.write({ columnData, rowGroupSize: PARQUET_ROW_GROUP_ROWS });
    void parquet.finish();
    const bytes = writer.getBytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
