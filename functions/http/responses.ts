import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Binary bodies travel base64-encoded between Lambda and API Gateway. A body answered whole says
 * so with `Accept-Ranges: none` (RFC 9110 §14.3) unless the caller serves ranges and says otherwise.
 */
export function binaryResponse(statusCode: number, bytes: Buffer, headers: Record<string, string>): HttpResult {
  return {
    statusCode,
    headers: { 'content-length': String(bytes.length), 'accept-ranges': 'none', ...headers },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  };
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
