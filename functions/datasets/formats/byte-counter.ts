import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through and counts them: the inspection's measure of the object's (or plain copy's) length. */
export class ByteCounter extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
