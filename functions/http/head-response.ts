import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResult } from './responses';

function withoutBody(response: HttpResult | null | undefined): void {
  if (!response || response.body === undefined) return;
  const body = response.body;
  const size = response.isBase64Encoded ? Buffer.from(body, 'base64').length : Buffer.byteLength(body, 'utf8');
  response.headers = { ...response.headers, 'content-length': response.headers?.['content-length'] ?? String(size) };
  response.body = '';
  response.isBase64Encoded = false;
}

/**
 * HEAD (RFC 9110 §9.3.2) runs the GET route's handler and answers with the same status and
 * headers, `Content-Length` the size GET's body would have, and no body; errors too. Use it
 * first, so it sees the final answer, after every other middleware has shaped it.
 */
export function headResponses(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  const strip = async (request: { event: APIGatewayProxyEventV2; response: HttpResult | null }): Promise<void> => {
    if (request.event.requestContext?.http?.method === 'HEAD') withoutBody(request.response);
  };
  return { after: strip, onError: strip };
}
