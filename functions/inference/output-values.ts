/**
 * Model outputs as JSON values, with nothing lost on the way. JSON numbers cannot be NaN or
 * infinite (RFC 8259 §6: JSON.stringify would write them as null), and a client's JSON parser
 * reads numbers as doubles, which hold integers exactly only up to 2^53. MLHub follows the
 * Protocol Buffers JSON mapping (protobuf.dev, "ProtoJSON format", the scalar types table),
 * which gRPC gateways and many JSON encoders share:
 * - a non-finite float is the string "NaN", "Infinity" or "-Infinity";
 * - a 64-bit integer is a number when it is within ±(2^53 − 1) (so it reads back exactly), and
 *   otherwise its decimal digits as a string ("9223372036854775807").
 */

export type JsonScalar = number | string | boolean;

/** A float as JSON: itself when finite, else "NaN", "Infinity" or "-Infinity". */
export function jsonFloat(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** A 64-bit integer as JSON: a number while a double holds it exactly, else its decimal string. */
export function jsonInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** An IEEE 754 binary16 value from its bits (ONNX Runtime hands float16 tensors over as Uint16Array). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * A tensor's values, by ONNX element type, as JSON values: floats through `jsonFloat`, 64-bit
 * integers through `jsonInteger`, bool as true/false, strings as they are. Smaller integer types
 * are exact as numbers.
 */
export function jsonValues(type: string, data: ArrayLike<unknown>): JsonScalar[] {
  switch (type) {
    case 'float32':
    case 'float64':
      return Array.from(data as ArrayLike<number>, jsonFloat);
    case 'float16':
      return Array.from(data as ArrayLike<number>, (bits) => jsonFloat(halfToNumber(bits)));
    case 'int64':
    case 'uint64':
      return Array.from(data as ArrayLike<bigint>, jsonInteger);
    case 'bool':
      return Array.from(data as ArrayLike<number>, (value) => value !== 0);
    default:
      return Array.from(data as ArrayLike<JsonScalar>);
  }
}

/**
 * A number written as text by a backend (a JSON number literal, a CSV cell) as MLHub sends it
 * on: the same encoding as above, so nothing is rounded on the way. Accepts the spellings
 * Python's json module and CSV writers use for non-finite values (NaN, Infinity, -Infinity,
 * inf, nan). An integer literal past ±(2^53 − 1), or a literal beyond a double's range, keeps its
 * digits as a string. Undefined when the text is not a number.
 */
export function jsonNumberFromText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (/^[+-]?nan$/i.test(trimmed)) return 'NaN';
  const infinite = /^([+-]?)inf(inity)?$/i.exec(trimmed);
  if (infinite) return infinite[1] === '-' ? '-Infinity' : 'Infinity';
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return trimmed;
  if (/^[+-]?\d+$/.test(trimmed) && !Number.isSafeInteger(value)) return trimmed.replace(/^\+/, '');
  return value;
}
