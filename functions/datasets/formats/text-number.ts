import { invalid } from '../../errors/app-error';
import { toNumber } from '../../inference/predict-input';

const ZERO = 0x30;
const NINE = 0x39;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;

/** Whether a character code can open a decimal number: a digit, a sign or a point. */
const opensNumber = (code: number): boolean => (code >= ZERO && code <= NINE) || code === MINUS || code === PLUS || code === DOT;

/** `0x…`, `0o…`, `0b…`: Number() reads them, a CSV writer never means them. */
const isPrefixed = (text: string): boolean => {
  const second = text.charCodeAt(1) | 0x20;
  return text.charCodeAt(0) === ZERO && (second === 0x78 || second === 0x6f || second === 0x62);
};

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false };

/**
 * A text field (CSV, TSV) as a number, by predict's rules (predict-input.ts `toNumber`): finite
 * decimals (`1`, `-2.5e3`, `.5`, with surrounding spaces), booleans `true`/`false` in any case as
 * 1 and 0. Anything else throws predict's `invalid_input` AppError naming `where`: an empty field,
 * other text, `NaN`/`Infinity` written out, or a literal that overflows a double (`1e400`).
 */
export function textNumber(text: string, where: string): number {
  return fastTextNumber(text) ?? slowTextNumber(text, where);
}

/** The common case without a regular expression: one Number() and a look at two characters; undefined when the full rules must decide. */
export function fastTextNumber(text: string): number | undefined {
  if (text.length > 0 && opensNumber(text.charCodeAt(0)) && !isPrefixed(text)) {
    const value = Number(text);
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/** Powers of ten a double holds exactly (10^22 is the last). */
const EXACT_POWERS = Array.from({ length: 23 }, (_, power) => 10 ** power);
const MAX_SIGNIFICANT = 15;

/**
 * A field's bytes [start, end) read as a plain decimal, `[+-]digits[.digits]` (or `.digits`),
 * without making a string: the value Number() gives for the same text, or undefined for any other
 * form (spaces, exponents, letters, empty), which the text rules must then decide. The value is
 * the correctly rounded one: at most 15 significant digits are an exact integer, and 10^k (k ≤ 22)
 * is exact, so one IEEE division rounds it correctly (Clinger's fast path), as Number() does.
 */
export function plainDecimalBytes(bytes: Uint8Array, start: number, end: number): number | undefined {
  let at = start;
  const first = bytes[at];
  const negative = first === MINUS;
  if (negative || first === PLUS) at += 1;
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let fraction = 0;
  let point = false;
  for (; at < end; at += 1) {
    const code = bytes[at]!;
    if (code >= ZERO && code <= NINE) {
      digits += 1;
      if (significant > 0 || code !== ZERO) significant += 1;
      mantissa = mantissa * 10 + (code - ZERO);
      if (point) fraction += 1;
    } else if (code === DOT && !point) point = true;
    else return undefined;
  }
  if (digits === 0 || significant > MAX_SIGNIFICANT || fraction >= EXACT_POWERS.length) return undefined;
  const value = fraction === 0 ? mantissa : mantissa / EXACT_POWERS[fraction]!;
  return negative ? -value : value;
}

function slowTextNumber(text: string, where: string): number {
  const trimmed = text.trim();
  const flag = BOOLEANS[trimmed.toLowerCase()];
  if (flag !== undefined) return toNumber(flag, where);
  if (trimmed !== text && trimmed.length > 0 && opensNumber(trimmed.charCodeAt(0)) && !isPrefixed(trimmed)) {
    const value = Number(trimmed);
    // A finite value, or an overflow toNumber names as such; NaN means it was not a number at all.
    if (!Number.isNaN(value)) return toNumber(value, where);
  }
  if (text.length > 0 && opensNumber(text.charCodeAt(0)) && !isPrefixed(text) && !/inf/i.test(text)) {
    const value = Number(text);
    if (!Number.isNaN(value)) return toNumber(value, where);
  }
  if (trimmed.length === 0) throw invalid('invalid_input', `${where} is empty; MLHub takes only numbers (or booleans) as input`);
  return toNumber(text, where);
}

/** The type a text field suggests, for the schema: empty is `null`. */
export function textType(text: string): 'null' | 'integer' | 'number' | 'boolean' | 'string' {
  if (text.trim().length === 0) return 'null';
  try {
    const value = textNumber(text, '');
    if (BOOLEANS[text.trim().toLowerCase()] !== undefined) return 'boolean';
    return Number.isInteger(value) && !/[.eE]/.test(text) ? 'integer' : 'number';
  } catch {
    return 'string';
  }
}
