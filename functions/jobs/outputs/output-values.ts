import { jsonFloat, jsonInteger } from '../../inference/output-values';

/**
 * A kept input value (from any dataset reader: CSV text, JSON values, Parquet's decoded values)
 * as a JSON value, encoded as the predict API encodes outputs (functions/inference/output-values.ts):
 * non-finite floats as "NaN"/"Infinity"/"-Infinity", 64-bit integers past 2^53 as digit strings.
 * Bytes (a Parquet BYTE_ARRAY without a string type) become base64 (RFC 4648 §4), dates their
 * ISO 8601 text, typed arrays plain arrays; undefined is null.
 */
export function jsonValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return jsonFloat(value);
  if (typeof value === 'bigint') return jsonInteger(value);
  if (typeof value !== 'object') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, jsonValue);
  if (Array.isArray(value)) return value.map(jsonValue);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonValue(item)]));
}

/** JSON text of any value through jsonValue (JSON.stringify alone throws on a bigint and writes NaN as null). */
export const jsonText = (value: unknown): string => JSON.stringify(jsonValue(value));

/**
 * A number as the shortest decimal that reads back as the same float64 (ECMAScript
 * Number::toString, §6.1.6.1.20, is shortest round-trip), keeping the sign of -0, which
 * toString drops; non-finite values as the predict API writes them.
 */
export function numberText(value: number): string {
  if (Object.is(value, -0)) return '-0';
  return Number.isFinite(value) ? String(value) : String(jsonFloat(value));
}
