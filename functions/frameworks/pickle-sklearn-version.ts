import { constants, gunzipSync, inflateSync } from 'node:zlib';

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

/** The version in pickle bytes arriving in pieces (the key may straddle two of them). */
async function versionIn(pieces: AsyncIterable<unknown> | Iterable<Buffer>): Promise<string | undefined> {
  let carry: Buffer = Buffer.alloc(0);
  let found: string | undefined;
  for await (const piece of pieces) {
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

/**
 * joblib.dump(..., compress=…) writes zlib (the default, first byte 0x78) or gzip (1f 8b); those
 * are read decompressed, within these bounds (a small model's file; past them no version is read
 * rather than the check holding a large file in memory). bz2, lzma and lz4 are not read.
 */
const MAX_COMPRESSED_BYTES = 8 * 1024 * 1024;
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

function compression(head: Buffer): 'zlib' | 'gzip' | undefined {
  if (head[0] === 0x78 && head.length > 1 && (head.readUInt16BE(0) % 31) === 0) return 'zlib';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  return undefined;
}

/**
 * The scikit-learn version a pickle (.joblib, .pkl) was written with, read from its bytes as they
 * stream by, never unpickled: the first `_sklearn_version` key and the string after it, in any
 * protocol (0 to 5), in a plain file or a zlib- or gzip-compressed joblib file (within the bounds
 * above). Undefined for a file without one (no scikit-learn estimator, or compressed otherwise or
 * past the bounds). The stream is read to its end.
 */
export async function pickleSklearnVersion(source: AsyncIterable<unknown>): Promise<string | undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return undefined;
  const head = first.value as Buffer;
  const rest = { [Symbol.asyncIterator]: () => iterator };
  const kind = compression(head);
  if (!kind) {
    return versionIn((async function* () {
      yield head;
      yield* rest as AsyncIterable<Buffer>;
    })());
  }
  const kept: Buffer[] = [head];
  let size = head.length;
  for await (const piece of rest) {
    size += (piece as Buffer).length;
    if (size <= MAX_COMPRESSED_BYTES) kept.push(piece as Buffer);
  }
  if (size > MAX_COMPRESSED_BYTES) return undefined;
  try {
    const options = { maxOutputLength: MAX_INFLATED_BYTES, finishFlush: constants.Z_SYNC_FLUSH };
    const inflated = kind === 'zlib' ? inflateSync(Buffer.concat(kept), options) : gunzipSync(Buffer.concat(kept), options);
    return await versionIn([inflated]);
  } catch {
    return undefined; // corrupt, or past MAX_INFLATED_BYTES: no version read, as for any other file
  }
}
