import { conflict, invalid } from '../../errors/app-error';
import type { InputLimits } from '../inference-config';
import type { ModelParams } from '../model-params';
import { namedPosition, rowPosition, type PredictInput } from '../predict-input';
import { imageTargetForShape, imageToTensor } from '../images/image-tensor';
import { assertValuesFit, elementRule, integerRange, numberToHalf } from '../element-types';
import { elementCount, formatShape, type Tensor } from '../tensor';

/** A model input as its ONNX graph declares it; string dims are symbolic (e.g. a dynamic batch). */
export interface DeclaredInput {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** A tensor ready for ONNX Runtime: values converted to the input's element type. */
export interface FeedTensor {
  readonly type: string;
  readonly data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
  readonly dims: readonly number[];
}

export type Feeds = Readonly<Record<string, FeedTensor>>;

/** One or more session runs (several when the model's batch size is fixed at 1) and the rows they yield. */
export interface RunPlan {
  readonly runs: readonly Feeds[];
  readonly rows: number;
}

interface FitContext {
  readonly model: string;
  readonly input: DeclaredInput;
}

const isDynamic = (dim: number | string | undefined): boolean => typeof dim !== 'number' || dim <= 0;

/** `[N, 1, 28, 28]` for people: symbolic dims shown by name. */
const declaredShape = (shape: readonly (number | string)[]): string => formatShape(shape.map((dim) => (isDynamic(dim) ? (typeof dim === 'string' && dim ? dim : 'N') : dim)));

const rowsDescription = (shape: readonly (number | string)[]): string => {
  const rowDims = shape.slice(1);
  if (rowDims.length === 0) return 'one value per row';
  if (rowDims.some(isDynamic)) return `rows of shape ${declaredShape(rowDims)}`;
  const count = elementCount(rowDims as number[]);
  return `${count} value${count === 1 ? '' : 's'} per row`;
};

const expects = ({ model, input }: FitContext): string =>
  `Model '${model}' expects input '${input.name}' of shape ${declaredShape(input.shape)} (${rowsDescription(input.shape)}, type ${input.type})`;

const matches = (given: readonly number[], declared: readonly (number | string)[]): boolean =>
  given.length === declared.length && given.every((dim, index) => isDynamic(declared[index]) || declared[index] === dim);

/**
 * Shapes a batch of rows ([rows, ...]) for a declared input. Each row keeps its own shape if it
 * already fits the declared one; otherwise a row whose count of values matches is reshaped, so a
 * flat vector of 784 feeds a [N, 1, 28, 28] input. One row stays one row: nothing is re-batched.
 */
function fitRows(rows: Tensor, context: FitContext): number[] {
  const declared = context.input.shape;
  const [count = 1, ...rowShape] = rows.shape;
  if (declared.length === 0) return [...rows.shape];
  if (declared.length === 1) {
    // No batch axis: the model takes one row at a time, so each row must be the whole input.
    if (matches(rowShape, declared)) return [...rows.shape];
    throw invalid('invalid_input', `${expects(context)}; got rows of shape ${formatShape(rowShape)}`);
  }
  const rowDeclared = declared.slice(1);
  if (matches(rowShape, rowDeclared)) return [...rows.shape];
  const perRow = elementCount(rowShape);
  if (!rowDeclared.some(isDynamic)) {
    if (elementCount(rowDeclared as number[]) === perRow) return [count, ...(rowDeclared as number[])];
  } else {
    // One open dimension can be inferred from the count, as numpy's reshape(-1) would.
    const open = rowDeclared.filter(isDynamic).length;
    const known = elementCount(rowDeclared.filter((dim) => !isDynamic(dim)) as number[]);
    if (open === 1 && perRow % known === 0) return [count, ...rowDeclared.map((dim) => (isDynamic(dim) ? perRow / known : (dim as number)))];
  }
  const got = rowShape.length === 1 ? `${perRow} value${perRow === 1 ? '' : 's'} per row` : `rows of shape ${formatShape(rowShape)}`;
  throw invalid('invalid_input', `${expects(context)}; got ${got}`);
}

/** Shapes a named tensor: as given if it fits, or as one row if it fits without the batch axis. */
function fitNamed(tensor: Tensor, context: FitContext): number[] {
  const declared = context.input.shape;
  if (declared.length === 0 || matches(tensor.shape, declared)) return [...tensor.shape];
  if (matches(tensor.shape, declared.slice(1))) return [1, ...tensor.shape];
  const rowDeclared = declared.slice(1);
  if (tensor.shape.length === 1 && !rowDeclared.some(isDynamic) && elementCount(rowDeclared as number[]) === tensor.shape[0]) {
    return [1, ...(rowDeclared as number[])];
  }
  throw invalid('invalid_input', `${expects(context)}; got shape ${formatShape(tensor.shape)}`);
}

/**
 * Where the values of a feed came from: a client's JSON, whose positions name a refused value
 * (`input[3][17]`), or an image's preprocessing, whose pixels are rounded and clamped to an
 * integer type instead, since MLHub itself produced them.
 */
export type ValueSource = { readonly position: (index: number) => string } | { readonly fromImage: true };

/** Converts values to the input's element type, refusing (400) any value the type cannot hold as it is. */
export function toFeed(values: ArrayLike<number>, dims: readonly number[], context: FitContext, source: ValueSource): FeedTensor {
  const { type } = context.input;
  const rule = elementRule(type);
  if (!rule) {
    throw conflict('input_type_unsupported', `Model '${context.model}' takes input '${context.input.name}' of type ${type}, which MLHub cannot feed from JSON`);
  }
  const range = integerRange(type);
  let checked: ArrayLike<number> = values;
  if ('fromImage' in source) {
    if (range) checked = Array.from(values, (value) => Math.min(Math.max(Math.round(value), range[0]), range[1]));
  } else {
    assertValuesFit(values, rule, source.position, expects(context));
  }
  switch (type) {
    case 'float16': return { type, dims, data: Uint16Array.from(checked, numberToHalf) };
    case 'float32': return { type, dims, data: Float32Array.from(checked) };
    case 'float64': return { type, dims, data: Float64Array.from(checked) };
    case 'bool': return { type, dims, data: Uint8Array.from(checked) };
    case 'int8': return { type, dims, data: Int8Array.from(checked) };
    case 'uint8': return { type, dims, data: Uint8Array.from(checked) };
    case 'int16': return { type, dims, data: Int16Array.from(checked) };
    case 'uint16': return { type, dims, data: Uint16Array.from(checked) };
    case 'int32': return { type, dims, data: Int32Array.from(checked) };
    case 'uint32': return { type, dims, data: Uint32Array.from(checked) };
    case 'int64': return { type, dims, data: BigInt64Array.from(checked, (value) => BigInt(value)) };
    default: return { type, dims, data: BigUint64Array.from(checked, (value) => BigInt(value)) };
  }
}

/** Slices a feed along its first axis into single-row feeds, for a model whose batch is fixed at 1. */
function splitFeed(feed: FeedTensor): FeedTensor[] {
  const [rows = 1, ...rowDims] = feed.dims;
  const size = elementCount(rowDims);
  return Array.from({ length: rows }, (_, row) => ({
    type: feed.type,
    dims: [1, ...rowDims],
    data: feed.data.slice(row * size, (row + 1) * size),
  } as FeedTensor));
}

/** Runs for a batch: one, or one per row when an input's batch axis is fixed at 1 (a common export default). */
function planBatch(feeds: Record<string, FeedTensor>, declared: readonly DeclaredInput[], model: string): RunPlan {
  const entries = Object.entries(feeds);
  const rows = entries[0]?.[1].dims[0] ?? 1;
  const fixedBatch = declared.find((input) => input.shape.length > 1 && !isDynamic(input.shape[0]) && input.shape[0] !== rows);
  if (!fixedBatch) return { runs: [feeds], rows: entries[0]?.[1].dims.length ? rows : 1 };
  if (fixedBatch.shape[0] !== 1) {
    throw invalid('invalid_input', `Model '${model}' takes batches of exactly ${fixedBatch.shape[0]} rows on input '${fixedBatch.name}'; got ${rows}`);
  }
  if (entries.some(([, feed]) => feed.dims[0] !== rows)) throw invalid('invalid_input', `Every named input must hold the same number of rows`);
  const perInput = entries.map(([name, feed]) => [name, splitFeed(feed)] as const);
  const runs = Array.from({ length: rows }, (_, row) => Object.fromEntries(perInput.map(([name, parts]) => [name, parts[row]!])));
  return { runs, rows };
}

function singleInput(declared: readonly DeclaredInput[], params: ModelParams, model: string): DeclaredInput {
  if (params.inputName) {
    const named = declared.find((input) => input.name === params.inputName);
    if (named) return named;
  }
  if (declared.length === 1) return declared[0]!;
  const list = declared.map((input) => `'${input.name}' ${declaredShape(input.shape)}`).join(', ');
  throw invalid('invalid_input', `Model '${model}' has several inputs (${list}); send {"inputs": {"<name>": tensor, ...}} naming each`);
}

/** Fits a parsed request to the model's declared inputs, as feeds for one or more runs. */
export function planFeeds(declared: readonly DeclaredInput[], input: PredictInput, params: ModelParams, limits: InputLimits, model: string): RunPlan {
  if (declared.length === 0) throw conflict('model_without_inputs', `Model '${model}' declares no tensor inputs`);
  switch (input.kind) {
    case 'rows': {
      const target = singleInput(declared, params, model);
      const context = { model, input: target };
      const position = rowPosition(input);
      if (target.shape.length === 1) {
        // A model without a batch axis runs once per row.
        const [, ...rowShape] = input.rows.shape;
        fitRows(input.rows, context);
        const size = elementCount(rowShape);
        const data = Array.from(input.rows.data);
        const runs = Array.from({ length: input.rows.shape[0] ?? 1 }, (_, row) => ({
          [target.name]: toFeed(data.slice(row * size, (row + 1) * size), rowShape, context, { position: (index) => position(row * size + index) }),
        }));
        return { runs, rows: runs.length };
      }
      const dims = fitRows(input.rows, context);
      return planBatch({ [target.name]: toFeed(input.rows.data, dims, context, { position }) }, declared, model);
    }
    case 'named': {
      const expected = declared.map((item) => item.name);
      const unknown = [...input.tensors.keys()].filter((name) => !expected.includes(name));
      const missing = expected.filter((name) => !input.tensors.has(name));
      if (unknown.length > 0 || missing.length > 0) {
        const list = declared.map((item) => `'${item.name}' ${declaredShape(item.shape)} ${item.type}`).join(', ');
        const problem = unknown.length > 0 ? `has no input ${unknown.map((name) => `'${name}'`).join(', ')}` : `also needs ${missing.map((name) => `'${name}'`).join(', ')}`;
        throw invalid('invalid_input', `Model '${model}' ${problem}; its inputs are ${list}`);
      }
      const feeds: Record<string, FeedTensor> = {};
      for (const item of declared) {
        const tensor = input.tensors.get(item.name)!;
        const context = { model, input: item };
        feeds[item.name] = toFeed(tensor.data, fitNamed(tensor, context), context, { position: namedPosition(item.name, tensor) });
      }
      const batches = new Set(Object.values(feeds).map((feed) => feed.dims[0] ?? 1));
      if (batches.size > 1) throw invalid('invalid_input', `Every named input must hold the same number of rows; got ${[...batches].join(' and ')}`);
      return planBatch(feeds, declared, model);
    }
    case 'image': {
      const target = singleInput(declared, params, model);
      const context = { model, input: target };
      const layout = imageTargetForShape(target.shape, params.image, target.name, target.type);
      const tensor = imageToTensor(input.image, layout, params.image, limits);
      return { runs: [{ [target.name]: toFeed(tensor.data, tensor.shape, context, { fromImage: true }) }], rows: 1 };
    }
  }
}
