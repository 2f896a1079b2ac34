import type { JsonScalar } from '../../inference/output-values';
import type { RowPrediction } from '../../inference/predictions';
import type { ModelSignature, OipDatatype } from '../../signatures/model-signature';
import { elementCount, formatShape } from '../../inference/tensor';

/**
 * The columns of a job's results, fixed before any row is written: every part of the job is
 * written against the same descriptor (the job stores it, and hands it to each worker), so the
 * parts line up when they are assembled, and the header (CSV) or schema (Parquet) is known once.
 *
 * The job makes it from the model's signature, or from the first prediction it gets
 * (`outputColumnsFromPrediction`); a later prediction that does not fit it (another shape, another
 * set of output names, a string where numbers were) becomes an error row (`fitPrediction`).
 *
 * Column order: `row`, then the kept input columns in the order the job chose, then the outputs,
 * then `label` and `probability` when the model has labels. In CSV and Parquet an output is
 * flattened in row-major order: a lone output (the prediction's `output`) into `output_0..k-1`,
 * each of several (its `outputs`) into `<name>_0..k-1`; a scalar output (shape []) is one column
 * named `output` (or `<name>`). JSON Lines keeps `output`/`outputs` nested as /predict gives them.
 */
export interface OutputColumns {
  /** Input columns written beside the predictions, with their dataset types (DatasetSchema's ColumnType). */
  readonly kept: readonly KeptColumn[];
  /** 'single': the prediction's `output`; 'named': its `outputs`, in the order of `outputs` here. */
  readonly form: 'single' | 'named';
  readonly outputs: readonly OutputField[];
  /** Whether `label` and `probability` columns follow the outputs. */
  readonly labelled: boolean;
}

/** One model output, per row: its shape without the batch axis, and what its elements are. */
export interface OutputField {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: OutputElementKind;
}

/**
 * 'number' holds numbers and the strings output-values.ts writes for what JSON cannot
 * ("NaN", "Infinity", "-Infinity", and 64-bit integers past 2^53 as digits).
 */
export type OutputElementKind = 'number' | 'boolean' | 'string';

/** The dataset column types of DESIGN15's DatasetSchema (functions/datasets/formats/). */
export type KeptColumnType = 'number' | 'integer' | 'string' | 'boolean' | 'list<number>' | 'null' | 'mixed';

export interface KeptColumn {
  readonly name: string;
  readonly type: KeptColumnType;
}

/**
 * Two columns of the results would have one name. `keptIndex` is the kept column's position in
 * `kept` when one of the two is a kept column, for the job's 400 to name `output.keep[i]`.
 */
export class OutputColumnClash extends Error {
  constructor(readonly column: string, readonly keptIndex: number | undefined) {
    super(`two result columns would be named "${column}"`);
    this.name = 'OutputColumnClash';
  }
}

export const ROW_COLUMN = 'row';
export const LABEL_COLUMN = 'label';
export const PROBABILITY_COLUMN = 'probability';
/** The JSON Lines keys of a prediction, which no kept column may take. */
const JSON_KEYS = ['row', 'output', 'outputs', 'label', 'probability'];

/** The flat column names of one output, in row-major order. */
export function outputColumnNames(columns: OutputColumns, field: OutputField): string[] {
  const base = columns.form === 'single' ? 'output' : field.name;
  if (field.shape.length === 0) return [base];
  return Array.from({ length: elementCount(field.shape) }, (_, index) => `${base}_${index}`);
}

/** How many columns flatColumnNames gives, without listing them. */
export function flatColumnCount(columns: OutputColumns): number {
  return 1 + columns.kept.length + columns.outputs.reduce((total, field) => total + (field.shape.length === 0 ? 1 : elementCount(field.shape)), 0) + (columns.labelled ? 2 : 0);
}

/** Every column name of the CSV header and Parquet schema, in order. */
export function flatColumnNames(columns: OutputColumns): string[] {
  return [
    ROW_COLUMN,
    ...columns.kept.map((column) => column.name),
    ...columns.outputs.flatMap((field) => outputColumnNames(columns, field)),
    ...(columns.labelled ? [LABEL_COLUMN, PROBABILITY_COLUMN] : []),
  ];
}

/**
 * The descriptor, checked: a lone output for 'single', distinct output names, whole non-negative
 * dimensions, and no two result columns (flat or JSON Lines keys) of one name.
 * Throws OutputColumnClash for a name taken twice, and Error for a malformed descriptor.
 */
export function describeOutputs(columns: OutputColumns): OutputColumns {
  if (columns.form === 'single' && columns.outputs.length !== 1) throw new Error(`a single output is one field, not ${columns.outputs.length}`);
  if (columns.outputs.length === 0) throw new Error('a prediction has at least one output');
  for (const field of columns.outputs) {
    if (!field.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) throw new Error(`output ${field.name} has shape ${formatShape(field.shape)}`);
  }
  const owners = new Map<string, number | undefined>();
  const claim = (name: string, keptIndex: number | undefined) => {
    if (owners.has(name)) throw new OutputColumnClash(name, keptIndex ?? owners.get(name));
    owners.set(name, keptIndex);
  };
  const names = flatColumnNames(columns);
  const keptEnd = 1 + columns.kept.length;
  names.forEach((name, index) => claim(name, index >= 1 && index < keptEnd ? index - 1 : undefined));
  const outputNames = new Set<string>();
  for (const field of columns.outputs) {
    if (outputNames.has(field.name)) throw new OutputColumnClash(field.name, undefined);
    outputNames.add(field.name);
  }
  columns.kept.forEach((column, index) => {
    if (JSON_KEYS.includes(column.name)) throw new OutputColumnClash(column.name, index);
  });
  return columns;
}

/** The shape of a nested JSON array by its first elements: [] for a scalar. */
function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let item = value;
  while (Array.isArray(item)) {
    shape.push(item.length);
    item = item[0];
  }
  return shape;
}

const SPECIAL_NUMBER = /^(NaN|-?Infinity|-?\d+)$/;

const isNumberElement = (value: unknown): boolean => typeof value === 'number' || (typeof value === 'string' && SPECIAL_NUMBER.test(value));

function kindOf(values: readonly unknown[]): OutputElementKind {
  if (values.every(isNumberElement)) return 'number';
  if (values.every((value) => typeof value === 'boolean')) return 'boolean';
  return 'string';
}

/** The values of a nested array of this exact shape, row-major; undefined if it has another shape. */
function flattenShaped(value: unknown, shape: readonly number[]): unknown[] | undefined {
  const out: unknown[] = [];
  const walk = (item: unknown, axis: number): boolean => {
    if (axis === shape.length) {
      if (Array.isArray(item)) return false;
      out.push(item);
      return true;
    }
    return Array.isArray(item) && item.length === shape[axis] && item.every((inner) => walk(inner, axis + 1));
  };
  return walk(value, 0) ? out : undefined;
}

/**
 * The descriptor a prediction implies: its outputs' shapes and element kinds, with the kept
 * columns the job chose. `labelled` defaults to whether this prediction has a label; a job whose
 * model has labels passes true (a row with non-finite scores has none: predictions.ts topLabel).
 * Throws as describeOutputs does.
 */
export function outputColumnsFromPrediction(prediction: RowPrediction, options: { kept: readonly KeptColumn[]; labelled?: boolean }): OutputColumns {
  const named = prediction.outputs !== undefined;
  if (!named && prediction.output === undefined) throw new Error('a prediction with neither output nor outputs fixes no columns');
  const entries: [string, unknown][] = named ? Object.entries(prediction.outputs ?? {}) : [['output', prediction.output]];
  const outputs = entries.map(([name, value]): OutputField => {
    const shape = shapeOf(value);
    return { name, shape, kind: kindOf(flattenShaped(value, shape) ?? []) };
  });
  return describeOutputs({ kept: options.kept, form: named ? 'named' : 'single', outputs, labelled: options.labelled ?? prediction.label !== undefined });
}

const kindOfDatatype = (datatype: OipDatatype): OutputElementKind => (datatype === 'BOOL' ? 'boolean' : datatype === 'BYTES' ? 'string' : 'number');

/**
 * The descriptor a model's recorded signature implies, when it says enough: every output a tensor
 * of a known datatype whose dimensions after the first (the batch axis) are all fixed sizes. Else
 * undefined, and the job takes the descriptor from its first prediction: an ONNX output that is a
 * sequence or map (scikit-learn's ZipMap), or a symbolic dimension, leaves the layout to the data.
 * A lone output is `output`, as predictionFromOutputs (predictions.ts) makes it. Throws as
 * describeOutputs does.
 */
export function outputColumnsFromSignature(signature: ModelSignature, options: { kept: readonly KeptColumn[]; labelled: boolean }): OutputColumns | undefined {
  const outputs: OutputField[] = [];
  for (const spec of signature.outputs) {
    const rowShape = spec.shape?.slice(1);
    if (spec.datatype === null || !rowShape || spec.shape?.length === 0 || !rowShape.every((dim): dim is number => typeof dim === 'number' && dim >= 0)) return undefined;
    outputs.push({ name: spec.name, shape: rowShape, kind: kindOfDatatype(spec.datatype) });
  }
  if (outputs.length === 0) return undefined;
  const single = outputs.length === 1;
  return describeOutputs({ kept: options.kept, form: single ? 'single' : 'named', outputs: single ? [{ ...outputs[0]!, name: 'output' }] : outputs, labelled: options.labelled });
}

/** A prediction laid out by the descriptor: each output's values row-major, and the label if any. */
export interface FittedPrediction {
  readonly values: readonly (readonly JsonScalar[])[];
  readonly label?: string;
  readonly probability?: number;
}

const describeKind = (kind: OutputElementKind) => (kind === 'number' ? 'numbers' : kind === 'boolean' ? 'booleans' : 'strings');

/**
 * The prediction's values in the descriptor's layout, or the one-line reason it does not fit
 * (written as the row's error). A prediction without a label in a labelled descriptor fits, with
 * the label and probability left empty (null in Parquet).
 */
export function fitPrediction(columns: OutputColumns, prediction: RowPrediction): FittedPrediction | string {
  const values: JsonScalar[][] = [];
  for (const field of columns.outputs) {
    const label = columns.form === 'single' ? 'output' : `outputs.${field.name}`;
    let value: unknown;
    if (columns.form === 'single') {
      if (prediction.output === undefined) return 'the prediction has several outputs where the first rows had one';
      value = prediction.output;
    } else {
      if (prediction.outputs === undefined) return 'the prediction has one output where the first rows had several';
      if (!(field.name in prediction.outputs)) return `the prediction has no output ${field.name}`;
      value = prediction.outputs[field.name];
    }
    const flat = flattenShaped(value, field.shape);
    if (!flat) return `${label} has shape ${formatShape(shapeOf(value))} where the first rows had ${formatShape(field.shape)}`;
    const fits = field.kind === 'number' ? isNumberElement : (item: unknown) => typeof item === field.kind;
    const index = flat.findIndex((item) => !fits(item));
    if (index >= 0) return `${label} holds ${typeof flat[index]} values where the first rows had ${describeKind(field.kind)}`;
    values.push(flat as JsonScalar[]);
  }
  if (columns.form === 'named' && Object.keys(prediction.outputs ?? {}).length !== columns.outputs.length) {
    return `the prediction has outputs ${Object.keys(prediction.outputs ?? {}).join(', ')} where the first rows had ${columns.outputs.map((field) => field.name).join(', ')}`;
  }
  if (!columns.labelled || prediction.label === undefined) return { values };
  return { values, label: prediction.label, ...(prediction.probability !== undefined ? { probability: prediction.probability } : {}) };
}
