import type { TextLine } from './text-lines';

/** A JSON Lines line longer than this refuses the dataset. */
export const MAX_JSONL_LINE_BYTES = 16 * 1024 * 1024;

const BOM = '\uFEFF';

/** Whether a line holds only spaces, tabs or a lone `\r`: JSON Lines skips it, and it is no row. */
export function isBlankLine(line: TextLine): boolean {
  return line.bytes.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d);
}

/** A line's text, without the UTF-8 BOM the first line of a file may carry. */
export function lineText(line: TextLine): string {
  const text = line.bytes.toString('utf8');
  return line.offset === 0 && text.startsWith(BOM) ? text.slice(1) : text;
}

/** Parses a line (JSON Lines: one JSON value per line, jsonlines.org); a line that is not JSON is a bad row, reported with why. */
export function parseLine(line: TextLine): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(lineText(line)) };
  } catch (error) {
    return { error: `the line is not valid JSON (${(error as Error).message.split('\n')[0]})` };
  }
}
