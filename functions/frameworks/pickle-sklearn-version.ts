/** The dict key scikit-learn's estimators pickle their version under (BaseEstimator.__getstate__). */
const KEY = Buffer.from('_sklearn_version', 'latin1');
/** Bytes kept across chunks: the key, the opcodes around it and a version string fit in it. */
const CARRY = 128;

const SHORT_BINUNICODE = 0x8c;
const BINUNICODE = 0x58; // 'X'
const UNICODE = 0x56; // 'V' (protocol 0: text up to a newline)
const SHORT_BINSTRING = 0x55; // 'U'
const MEMOIZE = 0x94;
const BINPUT = 0x71; // 'q' + 1 byte
const LONG_BINPUT = 0x72; // 'r' + 4 bytes
const PUT = 0x70; // 'p' + decimal digits + newline (protocol 0)

/** A version such as 1.2.1, 1.6.dev0 or 1.5.2.post1: anything else read there is not one. */
const VERSION = /^\d+\.\d+(\.\d+)?([a-z0-9.+-]*)$/i;

/**
 * The string pickled after the key at `at` (the byte after the key's own string): the memo
 * opcodes a pickler writes after a string are skipped, then one string opcode is read. Undefined
 * when the bytes there are something else (a memo reference, a truncated chunk).
 */
function valueAfter(bytes: Buffer, at: number): string | undefined {
  // Protocol 0 writes the key as text (UNICODE): its newline comes first.
  let i = bytes[at] === 0x0a ? at + 1 : at;
  for (;;) {
    if (bytes[i] === MEMOIZE) i += 1;
    else if (bytes[i] === BINPUT) i += 2;
    else if (bytes[i] === LONG_BINPUT) i += 5;
    else if (bytes[i] === PUT) {
      const end = bytes.indexOf(0x0a, i + 1);
      if (end === -1 || end - i > 12) return undefined;
      i = end + 1;
    } else break;
  }
  const op = bytes[i];
  let text: string | undefined;
  if ((op === SHORT_BINUNICODE || op === SHORT_BINSTRING) && i + 1 < bytes.length) {
    const length = bytes[i + 1] as number;
    if (i + 2 + length <= bytes.length) text = bytes.subarray(i + 2, i + 2 + length).toString('utf8');
  } else if (op === BINUNICODE && i + 5 <= bytes.length) {
    const length = bytes.readUInt32LE(i + 1);
    if (length < 64 && i + 5 + length <= bytes.length) text = bytes.subarray(i + 5, i + 5 + length).toString('utf8');
  } else if (op === UNICODE) {
    const end = bytes.indexOf(0x0a, i + 1);
    if (end > i && end - i < 64) text = bytes.subarray(i + 1, end).toString('utf8');
  }
  return text !== undefined && VERSION.test(text) ? text : undefined;
}

/**
 * The scikit-learn version a pickle (.joblib, .pkl) was written with, read from its bytes as they
 * stream by, never unpickled: the first `_sklearn_version` key and the string after it, in any
 * protocol (0 to 5). Undefined for a file without one (no scikit-learn estimator, or a joblib file
 * compressed with zlib, gzip or lz4, whose bytes hide it). The stream is read to its end.
 */
export async function pickleSklearnVersion(source: AsyncIterable<unknown>): Promise<string | undefined> {
  let carry: Buffer = Buffer.alloc(0);
  let found: string | undefined;
  for await (const piece of source) {
    const chunk = piece as Buffer;
    if (found !== undefined) continue;
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    for (let at = bytes.indexOf(KEY); at !== -1 && found === undefined; at = bytes.indexOf(KEY, at + 1)) {
      found = valueAfter(bytes, at + KEY.length);
      // The key at the chunk's end, its value in the next: looked at again with the carried bytes.
      if (found === undefined && bytes.length - at < CARRY) break;
    }
    carry = bytes.subarray(Math.max(0, bytes.length - CARRY));
  }
  return found;
}
