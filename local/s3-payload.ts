import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { s3Error } from './s3rver-extensions';

/**
 * What a SigV4 request says of its body in `x-amz-content-sha256` (S3 API Reference, "Signature
 * Calculations for the Authorization Header"), and the stream that holds it to that: the body a
 * handler reads ends only if it is what the signed header claims, and fails with S3's error
 * otherwise, before any store commits it.
 *
 * Supported, as the AWS SDKs send them: `UNSIGNED-PAYLOAD`; a hex SHA-256 of the body; and
 * `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (aws-chunked framing with a trailing checksum, what the JS
 * SDK v3 sends for a streamed body when checksums are on), which is decoded here so that the
 * framing is never stored. The signed-chunk variants (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`,
 * `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`) are refused with 501 NotImplemented rather
 * than accepted unchecked.
 */
export type PayloadClaim =
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'sha256'; readonly digest: string }
  | { readonly kind: 'chunked'; readonly decodedLength?: number; readonly trailer?: string };

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** Checksums a trailer may carry that are checked here; others are refused (501) rather than passed unchecked. */
const TRAILER_CHECKSUMS: Readonly<Record<string, { label: string; digest: (data: Buffer[]) => string }>> = {
  'x-amz-checksum-crc32': {
    label: 'CRC32',
    digest: (data) => {
      let value = 0;
      for (const chunk of data) value = crc32(chunk, value);
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value >>> 0);
      return bytes.toString('base64');
    },
  },
  'x-amz-checksum-sha1': { label: 'SHA1', digest: (data) => data.reduce((hash, chunk) => hash.update(chunk), createHash('sha1')).digest('base64') },
  'x-amz-checksum-sha256': { label: 'SHA256', digest: (data) => data.reduce((hash, chunk) => hash.update(chunk), createHash('sha256')).digest('base64') },
};

const headerOf = (headers: IncomingMessage['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** Reads the claim of a header-signed request; throws S3's error for a value S3 would refuse. */
export function payloadClaim(headers: IncomingMessage['headers']): PayloadClaim {
  const value = headerOf(headers, 'x-amz-content-sha256');
  if (value === undefined) throw s3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (value === UNSIGNED_PAYLOAD) return { kind: 'unsigned' };
  if (/^[0-9a-f]{64}$/.test(value)) return { kind: 'sha256', digest: value };
  if (value === STREAMING_UNSIGNED_TRAILER) {
    const trailer = headerOf(headers, 'x-amz-trailer')?.trim().toLowerCase();
    if (trailer !== undefined && !TRAILER_CHECKSUMS[trailer]) {
      throw s3Error('NotImplemented', `The local S3 server checks only the trailing checksums ${Object.keys(TRAILER_CHECKSUMS).join(', ')}; set the client's checksum algorithm to CRC32`, { Header: 'x-amz-trailer' }, 501);
    }
    const decoded = headerOf(headers, 'x-amz-decoded-content-length');
    const decodedLength = decoded === undefined ? undefined : Number(decoded);
    if (decodedLength !== undefined && (!Number.isSafeInteger(decodedLength) || decodedLength < 0)) {
      throw s3Error('InvalidArgument', 'x-amz-decoded-content-length must be a byte count', { ArgumentName: 'x-amz-decoded-content-length' });
    }
    return { kind: 'chunked', ...(decodedLength !== undefined ? { decodedLength } : {}), ...(trailer ? { trailer } : {}) };
  }
  if (value.startsWith('STREAMING-')) {
    throw s3Error('NotImplemented', `The local S3 server does not implement x-amz-content-sha256: ${value}; send UNSIGNED-PAYLOAD, a SHA-256 of the body, or ${STREAMING_UNSIGNED_TRAILER}`, { Header: 'x-amz-content-sha256' }, 501);
  }
  throw s3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or the hex SHA-256 of the body', { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value });
}

/** Passes the body through, and fails at its end unless its SHA-256 is the one signed. */
class Sha256Check extends Transform {
  private readonly hash = createHash('sha256');
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    const computed = this.hash.digest('hex');
    callback(computed === this.expected ? null : s3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", { ClientComputedContentSHA256: this.expected, S3ComputedContentSHA256: computed }, 400));
  }
}

const MAX_LINE_BYTES = 4096;
const malformed = (why: string) => s3Error('InvalidRequest', `The aws-chunked body is malformed: ${why}`);

/** Decodes aws-chunked framing (`<hex size>[;ext]\r\n<data>\r\n`…`0\r\n<trailers>\r\n`), checking length and trailing checksum. */
class AwsChunkedDecoder extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of the current chunk still to come, or -1 while reading a size line, or -2 in the trailers. */
  private remaining = -1;
  private expectCrLf = false;
  private decoded = 0;
  private readonly kept: Buffer[] = [];
  private readonly trailers = new Map<string, string>();
  private done = false;

  constructor(private readonly claim: Extract<PayloadClaim, { kind: 'chunked' }>) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      this.parse();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private line(): string | undefined {
    const end = this.buffer.indexOf('\r\n');
    if (end < 0) {
      if (this.buffer.length > MAX_LINE_BYTES) throw malformed('a line is too long');
      return undefined;
    }
    const text = this.buffer.subarray(0, end).toString('latin1');
    this.buffer = this.buffer.subarray(end + 2);
    return text;
  }

  private parse(): void {
    for (;;) {
      if (this.done) {
        if (this.buffer.length) throw malformed('bytes after the final chunk');
        return;
      }
      if (this.expectCrLf) {
        if (this.buffer.length < 2) return;
        if (this.buffer[0] !== 0x0d || this.buffer[1] !== 0x0a) throw malformed('a chunk does not end with CRLF');
        this.buffer = this.buffer.subarray(2);
        this.expectCrLf = false;
      }
      if (this.remaining > 0) {
        if (!this.buffer.length) return;
        const data = this.buffer.subarray(0, this.remaining);
        this.buffer = this.buffer.subarray(data.length);
        this.remaining -= data.length;
        this.decoded += data.length;
        if (this.claim.trailer) this.kept.push(data);
        this.push(data);
        if (this.remaining === 0) {
          this.remaining = -1;
          this.expectCrLf = true;
        }
        continue;
      }
      const text = this.line();
      if (text === undefined) return;
      if (this.remaining === -2) {
        if (text === '') this.done = true;
        else {
          const colon = text.indexOf(':');
          if (colon < 1) throw malformed('a trailer is not name:value');
          this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
        }
        continue;
      }
      const size = /^([0-9a-fA-F]{1,16})(;.*)?$/.exec(text)?.[1];
      if (size === undefined) throw malformed('a chunk size is not hexadecimal');
      this.remaining = parseInt(size, 16);
      if (!Number.isSafeInteger(this.remaining)) throw malformed('a chunk size is too large');
      if (this.remaining === 0) this.remaining = -2;
    }
  }

  override _flush(callback: TransformCallback): void {
    // The JS SDK ends a body without trailers right after `0\r\n`; that counts as complete.
    if (this.remaining !== -2 || this.buffer.length) {
      callback(s3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk.'));
      return;
    }
    if (this.claim.decodedLength !== undefined && this.decoded !== this.claim.decodedLength) {
      callback(s3Error('IncompleteBody', `You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header (${this.claim.decodedLength}, got ${this.decoded}).`));
      return;
    }
    if (this.claim.trailer) {
      const checksum = TRAILER_CHECKSUMS[this.claim.trailer];
      const given = this.trailers.get(this.claim.trailer);
      if (!checksum || given === undefined) {
        callback(s3Error('MalformedTrailerError', `The request lacks the trailer ${this.claim.trailer} that x-amz-trailer announced.`, {}, 400));
        return;
      }
      if (checksum.digest(this.kept) !== given) {
        callback(s3Error('BadDigest', `The ${checksum.label} you specified did not match the calculated checksum.`));
        return;
      }
    }
    callback();
  }
}

/**
 * The request as the S3 handlers should see it: the same request when the body is not signed, or
 * else a view of it whose body is checked (and, for aws-chunked, decoded) as it is read, with the
 * headers S3 would store adjusted to the decoded body.
 */
export function checkedRequest(request: IncomingMessage, claim: PayloadClaim): IncomingMessage {
  if (claim.kind === 'unsigned') return request;
  const body = claim.kind === 'sha256' ? new Sha256Check(claim.digest) : new AwsChunkedDecoder(claim);
  const headers = { ...request.headers };
  if (claim.kind === 'chunked') {
    const encodings = (headerOf(headers, 'content-encoding') ?? '').split(',').map((value) => value.trim()).filter((value) => value && value !== 'aws-chunked');
    if (encodings.length) headers['content-encoding'] = encodings.join(', ');
    else delete headers['content-encoding'];
    delete headers['transfer-encoding'];
    if (claim.decodedLength !== undefined) headers['content-length'] = String(claim.decodedLength);
    else delete headers['content-length'];
  }
  // The check runs as the handler reads, never ahead of it: a small body would otherwise be
  // checked (and fail) before any handler listens, and its error would go nowhere.
  let started = false;
  const view = new Readable({
    read() {
      if (started) {
        body.resume();
        return;
      }
      started = true;
      body.on('data', (chunk: Buffer) => {
        if (!view.push(chunk)) body.pause();
      });
      body.once('end', () => view.push(null));
      body.once('error', (error) => view.destroy(error));
      // A client that goes away mid-body fails the view as it fails the request.
      request.once('error', (error) => body.destroy(error));
      request.once('close', () => {
        if (!request.complete) body.destroy(s3Error('IncompleteBody', 'The client closed the connection before the whole body arrived.'));
      });
      request.pipe(body);
    },
  });
  // Whoever reads the view gets its error; this listener only keeps one nobody reads from being thrown.
  view.on('error', () => undefined);
  return Object.assign(view, {
    headers,
    rawHeaders: request.rawHeaders,
    method: request.method,
    url: request.url,
    httpVersion: request.httpVersion,
    httpVersionMajor: request.httpVersionMajor,
    httpVersionMinor: request.httpVersionMinor,
    socket: request.socket,
    connection: request.socket,
  }) as unknown as IncomingMessage;
}
