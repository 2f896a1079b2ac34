import { Transform, type TransformCallback, type Writable } from 'node:stream';

/**
 * Passes bytes through and writes each chunk to `sink` too (the decompressed copy of a gzip
 * upload, `datasets/<id>/plain`), waiting for the sink to drain so memory stays bounded by the
 * two streams' buffers. The sink is ended when the bytes end, and destroyed with the error if the
 * pass fails, so a half-written copy is never completed.
 */
export class PlainTee extends Transform {
  constructor(private readonly sink: Writable) {
    super();
    sink.on('error', (error) => this.destroy(error));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.sink.write(chunk)) callback(null, chunk);
    else this.sink.once('drain', () => callback(null, chunk));
  }

  override _flush(callback: TransformCallback): void {
    this.sink.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error && !this.sink.destroyed) this.sink.destroy(error);
    callback(error);
  }
}
