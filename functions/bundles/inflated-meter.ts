import { Transform, type TransformCallback } from 'node:stream';
import { invalid } from '../errors/app-error';

/**
 * Counts the bytes gunzip produces and fails, as soon as they pass `limit`, with 400
 * `invalid_bundle`; the pipeline then stops reading. Everything the gzip stream inflates to counts:
 * every member of a concatenated stream (RFC 1952 §2.2), tar headers and padding, and data after
 * the tar's end-of-archive blocks, which the tar parser would skip without reporting.
 */
export class InflatedMeter extends Transform {
  bytes = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(invalid('invalid_bundle', `The bundle unpacks to more than ${this.limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
}
