import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged and keeps the last `size` of them (by reference, not copied), so
 * a reader further down can look back at bytes it has already parsed. With 1 MiB chunks a window
 * of a few MiB covers what the streams in between can buffer.
 */
export class ByteWindow extends Transform {
  private readonly chunks: { readonly start: number; readonly bytes: Buffer }[] = [];
  private written = 0;
  private held = 0;

  constructor(private readonly size: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.chunks.push({ start: this.written, bytes: chunk });
    this.written += chunk.length;
    this.held += chunk.length;
    while (this.chunks.length > 1 && this.held - this.chunks[0]!.bytes.length >= this.size) this.held -= this.chunks.shift()!.bytes.length;
    callback(null, chunk);
  }

  /** Whether the `length` bytes from `offset` are all zero; undefined if any left the window. */
  allZero(offset: number, length: number): boolean | undefined {
    for (let at = offset; at < offset + length; at += 1) {
      const byte = this.byteAt(at);
      if (byte === undefined) return undefined;
      if (byte !== 0) return false;
    }
    return true;
  }

  /**
   * Whether any byte from `offset` to the last one written is not zero; undefined if `offset` left
   * the window (the bytes after it that are still held are then no longer the whole story).
   */
  nonZeroFrom(offset: number): boolean | undefined {
    if (offset < (this.chunks[0]?.start ?? this.written)) return undefined;
    return this.chunks.some(({ start, bytes }) => start + bytes.length > offset && bytes.subarray(Math.max(0, offset - start)).some((byte) => byte !== 0));
  }

  /** The byte at an absolute offset in the stream, if it is still in the window. */
  byteAt(offset: number): number | undefined {
    const chunk = this.chunks.find(({ start, bytes }) => offset >= start && offset < start + bytes.length);
    return chunk?.bytes[offset - chunk.start];
  }
}
