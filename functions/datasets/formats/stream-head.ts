import { Readable } from 'node:stream';

/**
 * Reads the first `length` bytes of a stream (fewer if it is shorter) and gives back a stream of
 * all its bytes, those included, so a format can be detected before the one pass begins.
 */
export async function streamHead(stream: Readable, length: number): Promise<{ head: Buffer; whole: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const taken: Buffer[] = [];
  let held = 0;
  let done = false;
  while (held < length) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    taken.push(next.value);
    held += next.value.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* taken;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head: Buffer.concat(taken).subarray(0, length), whole: Readable.from(replay(), { objectMode: false }) };
}
