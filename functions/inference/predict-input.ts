import { AppError, invalid } from '../errors/app-error';
import type { InputLimits } from './inference-config';
import { formatShape, type Tensor } from './tensor';

export type ImageFormat = 'png' | 'jpeg';

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
  | { readonly kind: 'rows'; readonly rows: Tensor; readonly single: boolean }
  | { readonly kind: 'named'; readonly tensors: ReadonlyMap<string, Tensor> }
  | { readonly kind: 'image'; readonly image: ImageInput };

const MAX_DEPTH = 8;
const MAX_NAMED_INPUTS = 64;

const FORMS_HINT = 'send {"input": [1, 2, 3]} for one row, {"input": [[1, 2, 3], [4, 5, 6]]} for a batch, ' +
  'or {"inputs": {"name": [[...]]}} for named inputs';

const badInput = (message: string): AppError => invalid('invalid_input', message);

const tooLarge = (limit: number): AppError =>
  new AppError('too_large', 'input_too_large', `The input holds more than ${limit} numbers; split it into smaller requests`);

/** Counts elements across all tensors of one request against the limit. */
class ElementBudget {
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

function toNumber(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const seen = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 20))}` : typeof value;
  throw badInput(`${where} must hold only numbers (or booleans), found ${seen}`);
}

/** A rectangular nested array of numbers as a tensor; ragged or non-numeric input is refused with where it went wrong. */
function readTensor(value: unknown, where: string, budget: ElementBudget): Tensor {
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

function parseRows(value: unknown, field: string, budget: ElementBudget): PredictInput {
  if (!Array.isArray(value)) throw badInput(`"${field}" must be an array of numbers (one row) or of rows (a batch); ${FORMS_HINT}`);
  const tensor = readTensor(value, `"${field}"`, budget);
  if (tensor.shape.length === 1) return { kind: 'rows', rows: { shape: [1, ...tensor.shape], data: tensor.data }, single: true };
  return { kind: 'rows', rows: tensor, single: false };
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
      ? readTensor(tensor, `"inputs.${name}"`, budget)
      : { shape: [], data: [toNumber(tensor, `"inputs.${name}"`)] });
  }
  return { kind: 'named', tensors };
}

/**
 * Reads the JSON body of a predict request. Besides the three MLHub forms it accepts TFaaS's own
 * `{"keys": [...], "values": [...]}`, so clients written for the seed's backend keep working.
 */
export function parseJsonInput(body: unknown, limits: Pick<InputLimits, 'maxInputElements'>): PredictInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badInput(`The body must be a JSON object: ${FORMS_HINT}`);
  const fields = body as Record<string, unknown>;
  const present = ['input', 'inputs', 'values'].filter((field) => fields[field] !== undefined);
  if (present.length === 0) throw badInput(`The body has no "input" or "inputs": ${FORMS_HINT}`);
  if (present.length > 1) throw badInput(`Send one of ${present.map((field) => `"${field}"`).join(' and ')}, not both`);
  const budget = new ElementBudget(limits.maxInputElements);
  if (fields.input !== undefined) return parseRows(fields.input, 'input', budget);
  if (fields.inputs !== undefined) return parseNamed(fields.inputs, budget);
  const values = parseRows(fields.values, 'values', budget);
  if (values.kind === 'rows' && !values.single) throw badInput('"values" (the TFaaS form) must be one flat vector');
  return values;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format from the bytes themselves; a client's media type may be generic or wrong. */
export function sniffImageFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'image/png', 'image/jpeg', 'image/jpg', 'image/pjpeg']);

/** An uploaded image (e.g. a multipart `image` field) with its declared media type. */
export function parseImageInput(bytes: Buffer, mediaType: string | undefined, limits: Pick<InputLimits, 'maxImageBytes'>): PredictInput {
  const declared = (mediaType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (bytes.length === 0) throw badInput('The image is empty');
  if (bytes.length > limits.maxImageBytes) {
    throw new AppError('too_large', 'image_too_large', `The image is ${bytes.length} bytes, over the ${limits.maxImageBytes} bytes a prediction accepts`);
  }
  const format = sniffImageFormat(bytes);
  if (!format || !GENERIC_TYPES.has(declared)) {
    const what = format ? `declared as ${declared}` : declared ? `a ${declared} file that is not PNG or JPEG` : 'neither PNG nor JPEG';
    throw new AppError('unsupported_media_type', 'unsupported_image_type', `The image is ${what}; send a PNG or JPEG`);
  }
  return { kind: 'image', image: { bytes, format } };
}
