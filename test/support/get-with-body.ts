import { request as httpRequest } from 'node:http';
import type { JsonReply } from './http';

/**
 * GET with a JSON body, as the seed's `curl -X GET -d '{"input": …}'` sends it; fetch refuses
 * to, so plain node:http does.
 */
export function getWithJsonBody(base: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<JsonReply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const request = httpRequest(
      { host: url.hostname, port: url.port, path, method: 'GET', headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          const replyHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') replyHeaders.set(name, value);
          resolve({ status: response.statusCode ?? 0, headers: replyHeaders, body: JSON.parse(text) as unknown });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
