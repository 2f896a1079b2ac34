const NEWLINE = 0x0a;
const RETURN = 0x0d;

/** A line of a line format: its bytes without the line break, and where it starts in the object. */
export interface TextLine {
  readonly bytes: Buffer;
  readonly offset: number;
}

/**
 * Splits a byte stream into lines at `\n` (a `\r` before it is dropped, so CRLF files read the
 * same), each with its absolute offset; the last line needs no break. `onTooLong` makes the
 * error for a line over `maxLineBytes` (given its 1-based line number and offset), thrown before
 * such a line is ever held whole.
 */
export async function* textLines(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  startOffset: number,
  maxLineBytes: number,
  onTooLong: (lineNumber: number, offset: number) => Error,
): AsyncGenerator<TextLine> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let lineStart = startOffset;
  let lineNumber = 1;
  const cut = (tail: Buffer): Buffer => {
    const whole = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingLength = 0;
    return whole.length > 0 && whole[whole.length - 1] === RETURN ? whole.subarray(0, whole.length - 1) : whole;
  };
  for await (const data of chunks) {
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE, from); at !== -1; at = chunk.indexOf(NEWLINE, from)) {
      const length = pendingLength + at - from;
      if (length > maxLineBytes) throw onTooLong(lineNumber, lineStart);
      const offset = lineStart;
      lineStart += length + 1;
      const line = cut(chunk.subarray(from, at));
      from = at + 1;
      yield { bytes: line, offset };
      lineNumber += 1;
    }
    const rest = chunk.subarray(from);
    if (pendingLength + rest.length > maxLineBytes) throw onTooLong(lineNumber, lineStart);
    if (rest.length > 0) {
      pending.push(rest);
      pendingLength += rest.length;
    }
  }
  if (pendingLength > 0) yield { bytes: cut(Buffer.alloc(0)), offset: lineStart };
}
