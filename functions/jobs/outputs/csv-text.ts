import { jsonText, numberText } from './output-values';

/**
 * CSV as RFC 4180 §2 writes it: records end in CRLF (§2.1, also Python's csv module default), a
 * field is quoted when it holds a comma, a double quote, CR or LF (§2.6), and a quote inside a
 * quoted field is doubled (§2.7). Nothing else is quoted, so numbers stay bare.
 */
export const CSV_RECORD_END = '\r\n';

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A value as a CSV field: null and undefined as an empty field, an empty string as `""` (so the two
 * stay apart for a reader that cares), numbers shortest round-trip (output-values.ts numberText),
 * bigints in full, booleans as true/false, strings as they are, anything else as its JSON text.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value === '' ? '""' : csvField(value);
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return csvField(jsonText(value));
}

export const csvRecord = (cells: readonly string[]): string => `${cells.join(',')}${CSV_RECORD_END}`;
