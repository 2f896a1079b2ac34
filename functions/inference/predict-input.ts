import { AppError, invalid } from '../errors/app-error';
import type { InputLimits } from './inference-config';
import { declaredImageFormat, otherImageFormat, READABLE_FORMATS, sniffImageFormat, type ImageFormat } from './images/image-format';
import { formatShape, positionOf, type Tensor } from './tensor';

export interface ImageInput {
  readonly bytes: Buffer;
  readonly format: ImageFormat;
}

/**
 * What a client asked to predict on, parsed and bounded but not yet fitted to any model:
 * - `rows`: `{"input": [...]}` is one row, `{"input": [[...], [...]]}` a batch of rows along the first axis;
 * - `named`: `{"inputs": {"name": tensor}}`, each tensor as given (batch dimension included);
 * - `image`: a PNG or JPEG, preprocessed later to the model's input.
 */
export type PredictInput =
  | { readonly kind: 'rows'; readonly rows: Tensor; readonly single: boolean; readonly field: string }
  | { readonly kind: 'named'; readonly tensors: ReadonlyMap<string, Tensor> }
  | { readonly kind: 'image'; readonly image: ImageInput };

/** Names the value at a row-major index of the rows as the client wrote them: `input[3][17]`, or `input[17]` for one row. */
export function rowPosition(input: Extract<PredictInput, { kind: 'rows' }>): (index: number) => string {
  const shape = input.single ? input.rows.shape.slice(1) : input.rows.shape;
  return (index) => positionOf(input.field, shape, index);
}

/** Names the value at a row-major index of a named input: `inputs.x[0][2]`. */
export const namedPosition = (name: string, tensor: Tensor): ((index: number) => string) =>
  (index) => positionOf(`inputs.${name}`, tensor.shape, index);

/** Dimensions an input may have (a row, or a batch of rows): datasets of arrays are held to it too (functions/datasets/formats/schema-bounds.ts). */
export const MAX_DEPTH = 8;
const MAX_NAMED_INPUTS = 64;

const FORMS_HINT = 'send {"input": [1, 2, 3]} for one row, {"input": [[1, 2, 3], [4, 5, 6]]} for a batch, ' +
  'or {"inputs": {"name": [[...]]}} for named inputs';

const badInput = (message: string): AppError => invalid('invalid_input', message);

const tooLarge = (limit: number): AppError =>
  new AppError('too_large', 'input_too_large', `The input holds more than ${limit} numbers; split it into smaller requests`);

/** Counts elements across all tensors of one request against the limit. */
export class ElementBudget {
  private used = 0;
  constructor(private readonly limit: number) {}
  take(count: number): void {
    this.used += count;
    if (this.used > this.limit) throw tooLarge(this.limit);
  }
}

/** The shape of a nested array, read along its first elements; checked for regularity by `readTensor`. */
function probeShape(value: unknown, where: string): number[] {
  const shape: number[] = [];
  let cursor = value;
  while (Array.isArray(cursor)) {
    if (shape.length >= MAX_DEPTH) throw badInput(`${where} is nested more than ${MAX_DEPTH} levels deep`);
    if (cursor.length === 0) throw badInput(`${where} holds an empty array; every dimension needs at least one value`);
    shape.push(cursor.length);
    cursor = cursor[0];
  }
  return shape;
}

/**
 * One input value as a number. JSON has no NaN or Infinity (RFC 8259 §6), so they can only
 * arrive as strings, which are refused like any string, or as a literal too large for a double
 * (`1e400`), which JSON.parse turns into ±Infinity: refused too, since no input type holds it.
 */
export function toNumber(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') throw badInput(`${where} is beyond the range of any number type (its magnitude overflows a 64-bit float); send finite numbers`);
  if (typeof value === 'string' && /^[+-]?(nan|inf(inity)?)$/i.test(value.trim())) {
    throw badInput(`${where} is the string ${JSON.stringify(value.slice(0, 20))}: MLHub takes only finite numbers as input, never NaN or Infinity`);
  }
  const seen = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 20))}` : typeof value;
  throw badInput(`${where} must hold only numbers (or booleans), found ${seen}`);
}

/** A rectangular nested array of numbers as a tensor; ragged or non-numeric input is refused with where it went wrong. */
export function readTensor(value: unknown, where: string, budget: ElementBudget): Tensor {
  const shape = probeShape(value, where);
  const count = shape.reduce((product, dim) => product * dim, 1);
  budget.take(count);
  const data = new Float64Array(count);
  let next = 0;
  const walk = (item: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      data[next] = toNumber(item, `${where}${path}`);
      next += 1;
      return;
    }
    if (!Array.isArray(item) || item.length !== shape[depth]) {
      const seen = Array.isArray(item) ? `${item.length} values` : 'a single value';
      throw badInput(`${where} is not rectangular: ${where}${path} has ${seen} where ${shape[depth]} were expected ` +
        `(the first entries make the shape ${formatShape(shape)})`);
    }
    item.forEach((child, index) => walk(child, depth + 1, `${path}[${index}]`));
  };
  walk(value, 0, '');
  return { shape, data };
}

/** Rows from an array: a flat vector is one row, unless the form is always a batch (TF Serving's `instances`). */
function parseRows(value: unknown, field: string, budget: ElementBudget, alwaysBatch = false): PredictInput {
  if (!Array.isArray(value)) throw badInput(`"${field}" must be an array of numbers (one row) or of rows (a batch); ${FORMS_HINT}`);
  const tensor = readTensor(value, field, budget);
  if (tensor.shape.length === 1 && !alwaysBatch) return { kind: 'rows', rows: { shape: [1, ...tensor.shape], data: tensor.data }, single: true, field };
  return { kind: 'rows', rows: tensor, single: false, field };
}

function parseNamed(value: unknown, budget: ElementBudget): PredictInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badInput(`"inputs" must be an object mapping each input name to its tensor, e.g. {"inputs": {"x": [[1, 2]]}}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw badInput('"inputs" names no input');
  if (entries.length > MAX_NAMED_INPUTS) throw badInput(`"inputs" names more than ${MAX_NAMED_INPUTS} inputs`);
  const tensors = new Map<string, Tensor>();
  for (const [name, tensor] of entries) {
    if (name.length === 0 || name.length > 256) throw badInput('Every input name must have 1 to 256 characters');
    tensors.set(name, Array.isArray(tensor)
      ? readTensor(tensor, `inputs.${name}`, budget)
      : { shape: [], data: [toNumber(tensor, `inputs.${name}`)] });
  }
  return { kind: 'named', tensors };
}

/**
 * Reads the JSON body of a predict request. Besides the three MLHub forms it accepts TFaaS's own
 * `{"keys": [...], "values": [...]}`, so clients written for the seed's backend keep working, and
 * TF Serving's row format `{"instances": [...]}` (its REST API, "Specifying input tensors in row
 * format"), where every element is one instance: `[1, 2, 3]` is three rows of one value.
 */
export function parseJsonInput(body: unknown, limits: Pick<InputLimits, 'maxInputElements'>): PredictInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badInput(`The body must be a JSON object: ${FORMS_HINT}`);
  const fields = body as Record<string, unknown>;
  const present = ['input', 'inputs', 'values', 'instances'].filter((field) => fields[field] !== undefined);
  if (present.length === 0) throw badInput(`The body has no "input" or "inputs": ${FORMS_HINT}`);
  if (present.length > 1) throw badInput(`Send one of ${present.map((field) => `"${field}"`).join(' and ')}, not both`);
  const budget = new ElementBudget(limits.maxInputElements);
  if (fields.input !== undefined) return parseRows(fields.input, 'input', budget);
  if (fields.inputs !== undefined) return parseNamed(fields.inputs, budget);
  if (fields.instances !== undefined) return parseRows(fields.instances, 'instances', budget, true);
  const values = parseRows(fields.values, 'values', budget);
  if (values.kind === 'rows' && !values.single) throw badInput('"values" (the TFaaS form) must be one flat vector');
  return values;
}

/** Media types that say nothing about the format: the bytes decide. */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

const unsupportedImage = (message: string): AppError =>
  new AppError('unsupported_media_type', 'unsupported_image_type', `${message}; MLHub reads ${READABLE_FORMATS} images`);

const FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = { png: 'PNG', jpeg: 'JPEG' };
const FORMAT_TYPES: Readonly<Record<ImageFormat, string>> = { png: 'image/png', jpeg: 'image/jpeg' };

/**
 * An uploaded image (a raw body or a multipart `image` field) with its declared media type,
 * already normalised by the HTTP layer (lowercase, no parameters). The bytes decide the format;
 * a declared type that names another format is refused (415), so what the client meant and what
 * it sent never silently differ.
 */
export function parseImageInput(bytes: Buffer, mediaType: string | undefined, limits: Pick<InputLimits, 'maxImageBytes'>): PredictInput {
  const declared = mediaType ?? '';
  if (bytes.length === 0) throw badInput('The image is empty');
  if (bytes.length > limits.maxImageBytes) {
    throw new AppError('too_large', 'image_too_large', `The image is ${bytes.length} bytes, over the ${limits.maxImageBytes} bytes a prediction accepts`);
  }
  const format = sniffImageFormat(bytes);
  const sentAs = declared ? ` (sent as ${declared})` : '';
  if (!format) {
    const other = otherImageFormat(bytes);
    throw unsupportedImage(other ? `The image is a ${other} file${sentAs}` : `The image's bytes are neither PNG nor JPEG${sentAs}`);
  }
  if (!GENERIC_TYPES.has(declared) && declaredImageFormat(declared) !== format) {
    throw unsupportedImage(`The image was sent as ${declared}, but its bytes are a ${FORMAT_NAMES[format]} file: send it as ${FORMAT_TYPES[format]}`);
  }
  return { kind: 'image', image: { bytes, format } };
}
