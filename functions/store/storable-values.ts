import { getUnsafeNumberReason, isLosslessNumber, type LosslessNumber } from 'lossless-json';
import { invalid } from '../errors/app-error';

/**
 * What one DynamoDB item can hold, from the DynamoDB Developer Guide, "Constraints in Amazon
 * DynamoDB" (data types, items, attributes, partition and sort keys) and "DynamoDB item sizes
 * and formats". Sizes are in bytes of UTF-8, as DynamoDB counts them.
 */
export const DYNAMODB_LIMITS = {
  /** An item, attribute names and values together: 400 KB (KB = 1024 bytes). */
  itemBytes: 400 * 1024,
  /** Lists and maps nest at most 32 levels deep. */
  nestingLevels: 32,
  /** A partition key value: 1 to 2048 bytes. */
  partitionKeyBytes: 2048,
  /** A sort key value: 1 to 1024 bytes. */
  sortKeyBytes: 1024,
  /** Attribute names (and so map keys): at least one character, under 64 KB. */
  attributeNameBytes: 64 * 1024 - 1,
  /** Numbers: up to 38 significant digits; non-zero magnitudes from 1E-130 to under 1E+126. */
  numberDigits: 38,
  smallestMagnitude: 1e-130,
} as const;

/**
 * Room an item keeps for what the service adds to a client's document: keys, index keys,
 * owner, timestamps, counters.
 */
const SERVICE_ATTRIBUTE_ALLOWANCE = 16 * 1024;

/** The largest client document one item takes. */
export const STORABLE_DOCUMENT_BYTES = DYNAMODB_LIMITS.itemBytes - SERVICE_ATTRIBUTE_ALLOWANCE;

/** Where in the document a value sits, as a client would write it: `meta.layers[2].name`. */
const describePath = (path: readonly (string | number)[]): string =>
  path.length === 0
    ? 'the body'
    : path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`)).join('');

/** A lone UTF-16 surrogate: `\ud800` in JSON parses to one, and UTF-8 has no encoding for it. */
const LONE_SURROGATE = /\p{Surrogate}/u;

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

function checkText(text: string, path: readonly (string | number)[], what: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw invalid('invalid_text', `${what} at ${describePath(path)} holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which no UTF-8 text can store`);
  }
}

/**
 * The number a client wrote, as MLHub stores it, or a 400 naming the field. MLHub keeps numbers
 * as JavaScript numbers (the DynamoDB document client refuses integers beyond ±(2^53 − 1)), so a
 * number is accepted only if that keeps it exactly as written: `0.1`, `1.50` and `1e2` pass;
 * `9007199254740993`, a 39-digit decimal, `1e400` and `1e-200` (under DynamoDB's 1E-130) do not.
 */
function storableNumber(written: string, path: readonly (string | number)[]): number {
  const value = Number(written);
  const where = describePath(path);
  const reason = getUnsafeNumberReason(written);
  if (reason === 'overflow' || (reason === undefined && !Number.isFinite(value))) {
    throw invalid('invalid_number', `The number at ${where} (${written.slice(0, 40)}) is too large to store; send it as a string`);
  }
  if (reason === 'truncate_integer' || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
    throw invalid('invalid_number',
      `The number at ${where} (${written.slice(0, 40)}) is beyond ±9007199254740991 (2^53 − 1), the largest integer MLHub stores exactly; send it as a string`);
  }
  if (reason !== undefined) {
    throw invalid('invalid_number',
      `The number at ${where} (${written.slice(0, 40)}) has more significant digits than MLHub stores exactly (a 64-bit float: about 15-17 digits); send it as a string`);
  }
  if (value !== 0 && Math.abs(value) < DYNAMODB_LIMITS.smallestMagnitude) {
    throw invalid('invalid_number', `The number at ${where} (${written.slice(0, 40)}) is smaller in magnitude than 1e-130, the smallest DynamoDB stores; send it as a string`);
  }
  return value === 0 ? 0 : value;
}

/** DynamoDB's size of a number: about one byte per two significant digits, plus one. */
function numberBytes(value: number): number {
  const digits = (/^-?([0-9.]+)/.exec(Math.abs(value).toExponential())?.[1] ?? '0').replace('.', '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

interface Walk {
  bytes: number;
}

function toPlain(node: unknown, path: (string | number)[], depth: number, walk: Walk): unknown {
  if (isLosslessNumber(node)) {
    const value = storableNumber((node as LosslessNumber).value, path);
    walk.bytes += numberBytes(value);
    return value;
  }
  if (typeof node === 'string') {
    checkText(node, path, 'The text');
    walk.bytes += utf8Bytes(node);
    return node;
  }
  if (node === null || typeof node === 'boolean') {
    walk.bytes += 1;
    return node;
  }
  if (typeof node !== 'object') throw new Error(`Unexpected JSON value of type ${typeof node}`);
  if (depth > DYNAMODB_LIMITS.nestingLevels) {
    throw invalid('nested_too_deep', `The value at ${describePath(path)} nests lists and objects more than ${DYNAMODB_LIMITS.nestingLevels} levels deep, the most DynamoDB stores`);
  }
  walk.bytes += 3;
  if (Array.isArray(node)) {
    return node.map((item, index) => {
      walk.bytes += 1;
      return toPlain(item, [...path, index], depth + 1, walk);
    });
  }
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const at = [...path, key];
    if (key === '') throw invalid('invalid_key', `${describePath(path)} has an empty key; DynamoDB attribute names need at least one character`);
    checkText(key, at, 'The key');
    const keyBytes = utf8Bytes(key);
    if (keyBytes > DYNAMODB_LIMITS.attributeNameBytes) {
      throw invalid('invalid_key', `A key in ${describePath(path)} is ${keyBytes} bytes long; DynamoDB attribute names are under 64 KB`);
    }
    walk.bytes += keyBytes + 1;
    // defineProperty, so that a "__proto__" key is data and not the object's prototype.
    Object.defineProperty(plain, key, { value: toPlain(value, at, depth + 1, walk), enumerable: true, writable: true, configurable: true });
  }
  return plain;
}

/**
 * Checks a JSON document parsed by lossless-json (numbers still as written) against what one
 * DynamoDB item holds, and returns it as plain JavaScript values. Every refusal is a 400 that
 * names the field:
 * - `invalid_number`: a number that would not be stored exactly as written (beyond ±(2^53 − 1),
 *   more digits than a 64-bit float keeps, so never past DynamoDB's 38 significant digits),
 *   non-finite, or non-zero and under 1E-130 in magnitude;
 * - `nested_too_deep`: lists and objects nested more than 32 levels below the document;
 * - `invalid_key`: an empty key, or one of 64 KB or more;
 * - `invalid_text`: text or a key holding a lone UTF-16 surrogate (UTF-8 cannot encode it, so
 *   it would be stored as U+FFFD);
 * - `document_too_large`: more than STORABLE_DOCUMENT_BYTES by DynamoDB's size rules.
 */
export function toStorable(document: unknown): unknown {
  const walk: Walk = { bytes: 0 };
  const plain = toPlain(document, [], 0, walk);
  if (walk.bytes > STORABLE_DOCUMENT_BYTES) {
    throw invalid('document_too_large', `The document takes ${walk.bytes} bytes as a DynamoDB item; at most ${STORABLE_DOCUMENT_BYTES} fit beside what MLHub stores with it`);
  }
  return plain;
}

/**
 * Refuses a value that would make a key attribute longer than DynamoDB allows (partition keys
 * 2048 bytes, sort keys 1024), once `prefix` (such as `GRANT#`) is put before it.
 */
export function requireKeyFits(field: string, value: string, key: { readonly prefix: string; readonly kind: 'partition' | 'sort' }): void {
  const limit = key.kind === 'partition' ? DYNAMODB_LIMITS.partitionKeyBytes : DYNAMODB_LIMITS.sortKeyBytes;
  const room = limit - utf8Bytes(key.prefix);
  const size = utf8Bytes(value);
  if (size > room) throw invalid(`invalid_${field}`, `'${field}' is ${size} bytes of UTF-8; at most ${room} fit in a key`);
}
