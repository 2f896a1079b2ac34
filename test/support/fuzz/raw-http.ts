import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  readonly method: string;
  /** Path and query exactly as sent on the request line (already percent-encoded as intended). */
  readonly target: string;
  /** In order; a name may repeat. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

export interface RawReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

// One kept-alive connection: the fuzzer sends one request at a time, and reusing the socket keeps
// thousands of requests from exhausting loopback ports.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/**
 * Sends bytes fetch would refuse to send (a body on GET and HEAD, repeated and oddly cased
 * headers, a path that is not valid percent-encoding) and reads whatever comes back.
 */
export function sendRaw(base: string, raw: RawRequest, timeoutMs = 20_000): Promise<RawReply> {
  const url = new URL(base);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of raw.headers) {
    const known = headers[name];
    headers[name] = known === undefined ? value : [...(Array.isArray(known) ? known : [known]), value];
  }
  if (raw.body.length > 0 || raw.method !== 'GET') headers['content-length'] = String(raw.body.length);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: raw.method, path: raw.target, headers, agent, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    outgoing.on('error', reject);
    outgoing.end(raw.body);
  });
}

export function closeRawConnections(): void {
  agent.destroy();
}
