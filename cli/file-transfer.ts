import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 16 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 16 }) };

/** The SHA-256 of a file, streamed. */
export async function fileSha256(path: string, onBytes: (count: number) => void = () => undefined): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`HTTP ${status}`);
  }
}

function send(url: URL, method: string, headers: Record<string, string | number>): ReturnType<typeof httpRequest> {
  const options = { method, headers, agent: url.protocol === 'https:' ? agents.https : agents.http };
  return url.protocol === 'https:' ? httpsRequest(url, options) : httpRequest(url, options);
}

async function drainText(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return text;
}

/**
 * PUTs bytes [start, start + length) of a file to a presigned URL, streamed from disk with the
 * exact Content-Length the URL was signed for and the headers MLHub listed with it (signed into
 * it, such as `If-None-Match: *`). Resolves to the part's ETag.
 */
export function putFileRange(url: string, path: string, start: number, length: number, onBytes: (count: number) => void, headers: Readonly<Record<string, string>> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = send(new URL(url), 'PUT', { ...headers, 'content-length': length });
    outgoing.on('response', (response) => {
      drainText(response).then((body) => {
        if ((response.statusCode ?? 0) >= 300) reject(new HttpStatusError(response.statusCode ?? 0, body));
        else resolve(String(response.headers.etag ?? ''));
      }, reject);
    });
    outgoing.on('error', reject);
    const source = createReadStream(path, { start, end: start + length - 1, highWaterMark: 1024 * 1024 });
    source.on('data', (chunk) => onBytes((chunk as Buffer).length));
    source.on('error', (error) => outgoing.destroy(error));
    source.pipe(outgoing);
  });
}

/** GETs a URL into a file, hashing as it writes; resolves to the SHA-256 of what was written. */
export function downloadToFile(url: string, path: string, onBytes: (count: number) => void): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const outgoing = send(new URL(url), 'GET', {});
    outgoing.on('response', (response) => {
      if ((response.statusCode ?? 0) !== 200) {
        drainText(response).then((body) => reject(new HttpStatusError(response.statusCode ?? 0, body)), reject);
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          onBytes(chunk.length);
          callback(null, chunk);
        },
      });
      pipeline(response, meter, createWriteStream(path)).then(() => resolve({ sha256: hash.digest('hex'), size }), reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
