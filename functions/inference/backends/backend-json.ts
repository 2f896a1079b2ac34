import { jsonNumberFromText } from '../output-values';

/**
 * Parses a backend's JSON answer without losing or refusing numbers. Two things JSON.parse gets
 * wrong for model outputs:
 * - Python's json module, which TorchServe handlers, MLServer and SageMaker containers answer
 *   through, writes NaN, Infinity and -Infinity as bare literals (its `allow_nan` default), which
 *   are not JSON (RFC 8259 §6) and make JSON.parse throw;
 * - JSON.parse rounds integers past 2^53, so an int64 output would arrive changed.
 * Both become strings before parsing, in the encoding of output-values.ts ("NaN", "Infinity",
 * "-Infinity", decimal digits), which is what MLHub sends its own clients. Everything inside
 * JSON strings is left alone. Throws SyntaxError for text that is still not JSON.
 */
export function parseBackendJson(text: string): unknown {
  return JSON.parse(quoteUnsafeNumbers(text));
}

// A bare non-finite literal or a JSON number (RFC 8259 §6 grammar), matched where a value can start.
const TOKEN = /-?Infinity|NaN|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function quoteUnsafeNumbers(text: string): string {
  const parts: string[] = [];
  let copied = 0;
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '"') {
      at = endOfString(text, at);
      continue;
    }
    if (char === '-' || char === 'N' || char === 'I' || (char >= '0' && char <= '9')) {
      TOKEN.lastIndex = at;
      const match = TOKEN.exec(text);
      if (match) {
        const value = jsonNumberFromText(match[0]);
        if (typeof value === 'string') {
          parts.push(text.slice(copied, at), JSON.stringify(value));
          copied = TOKEN.lastIndex;
        }
        at = TOKEN.lastIndex;
        continue;
      }
    }
    at += 1;
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}

/** The index just past the string literal opening at `start` (or the end of an unterminated one). */
function endOfString(text: string, start: number): number {
  let at = start + 1;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '\\') at += 2;
    else if (char === '"') return at + 1;
    else at += 1;
  }
  return text.length;
}
