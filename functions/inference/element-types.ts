import { invalid } from '../errors/app-error';

/**
 * What each tensor element type can hold, for refusing a JSON value before it is converted
 * rather than letting the conversion change it silently (a typed array turns 1e39 into Infinity
 * in a Float32Array, 256 into 0 in a Uint8Array, 1.5 into 1 in an Int32Array).
 */

/** The largest finite float32, (2 − 2^−23) × 2^127 (IEEE 754-2019, binary32). */
export const FLOAT32_MAX = 3.4028234663852886e38;

export interface ElementRule {
  /** What the type takes, for messages: "integers from 0 to 255". */
  readonly takes: string;
  accepts(value: number): boolean;
}

const integers = (low: number, high: number, note = ''): ElementRule => ({
  takes: `integers from ${low} to ${high}${note}`,
  accepts: (value) => Number.isInteger(value) && value >= low && value <= high,
});

// JSON numbers are IEEE 754 doubles once parsed (RFC 8259 §6), so 64-bit integers past 2^53 − 1
// have already lost digits by the time MLHub sees them: refused rather than fed rounded.
const SAFE_NOTE = ' (a JSON number past ±(2^53 − 1) cannot carry an exact 64-bit integer)';

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER],
};

const RULES: Readonly<Record<string, ElementRule>> = {
  float32: {
    takes: `finite numbers within ±${FLOAT32_MAX} (float32)`,
    // Math.fround rounds as a Float32Array would: what overflows there overflows here.
    accepts: (value) => Number.isFinite(Math.fround(value)),
  },
  float64: { takes: 'finite numbers', accepts: Number.isFinite },
  // Values from 65520 on round to infinity in binary16 (IEEE 754-2019, round to nearest even).
  float16: { takes: 'finite numbers within ±65504 (float16)', accepts: (value) => Number.isFinite(value) && Math.abs(value) < 65520 },
  bool: { takes: 'true/false or 0/1', accepts: (value) => value === 0 || value === 1 },
  ...Object.fromEntries(Object.entries(INTEGER_RANGES).map(([type, [low, high]]) =>
    [type, integers(low, high, type.endsWith('64') ? SAFE_NOTE : '')])),
};

/** The rule for an ONNX Runtime element type name, or undefined for one MLHub cannot feed from JSON. */
export const elementRule = (type: string): ElementRule | undefined => RULES[type];

/** The range of an integer type, for clamping preprocessed pixels; undefined for other types. */
export const integerRange = (type: string): readonly [number, number] | undefined => INTEGER_RANGES[type];

const shown = (value: number): string => (Object.is(value, -0) ? '0' : String(value));

/**
 * Refuses (400 invalid_input) the first value an element type cannot hold as it is, naming
 * where it sits (`position`) and what takes it (`subject`, e.g. "Model 'm' expects input 'x' …").
 */
export function assertValuesFit(values: ArrayLike<number>, rule: ElementRule, position: (index: number) => string, subject: string): void {
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index]!;
    if (!rule.accepts(value)) throw invalid('invalid_input', `${position(index)} is ${shown(value)}, but ${subject}, which takes ${rule.takes}`);
  }
}

/** Rounds half to even, as IEEE 754's default rounding does. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The IEEE 754 binary16 bits of a number, rounded once to nearest even (ONNX Runtime takes
 * float16 tensors as Uint16Array bits). Scaling by powers of two is exact in a double, so the
 * only rounding is the final one.
 */
export function numberToHalf(value: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (Number.isNaN(value)) return 0x7e00;
  if (magnitude < 2 ** -14) return sign | roundHalfEven(magnitude * 2 ** 24); // subnormal; 1024 carries into the first normal
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent -= 1;
  if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  let fraction = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  if (fraction === 1024) {
    fraction = 0;
    exponent += 1;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | fraction;
}
