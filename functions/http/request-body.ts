import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The request body's bytes, however API Gateway chose to encode them. */
export function bodyBytes(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The decoded size, computed without decoding, so oversized bodies are refused cheaply. */
export function bodyByteLength(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): number {
  const body = event.body;
  if (!body) return 0;
  if (!event.isBase64Encoded) return Buffer.byteLength(body, 'utf8');
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - padding;
}

export interface MediaType {
  /** `type/subtype`, lowercased; empty when the header is absent or blank. */
  readonly type: string;
  /** Parameter names lowercased, values unquoted (and kept as sent: only `charset` is compared case-insensitively). */
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * Splits on `;` outside quoted strings, so `boundary="a;b"` stays whole.
 */
function splitParameters(header: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i += 1) {
    const char = header[i] as string;
    if (quoted && char === '\\') {
      current += char + (header[i + 1] ?? '');
      i += 1;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (char === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

const unquote = (value: string): string =>
  value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;

/**
 * Reads a `Content-Type` header as RFC 9110 §8.3.1 describes it: type and subtype are
 * case-insensitive, and optional whitespace (OWS: spaces and tabs) may surround each `;` and
 * parameter, so `Application/JSON ; charset=utf-8` is `application/json` with charset `utf-8`.
 * Parameters without `=` are ignored, as RFC 9110 allows empty parameter slots.
 * This is MLHub's one media-type parser: every route that looks at Content-Type uses it.
 */
export function parseMediaType(contentType: string | undefined): MediaType {
  const [type = '', ...rest] = splitParameters(contentType ?? '');
  const parameters: Record<string, string> = {};
  for (const part of rest) {
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    const name = part.slice(0, equals).trim().toLowerCase();
    if (name !== '' && !(name in parameters)) parameters[name] = unquote(part.slice(equals + 1).trim());
  }
  return { type: type.trim().toLowerCase(), parameters };
}

/** The media type without parameters, lowercased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return parseMediaType(contentType).type;
}

/** `application/json` and the structured-syntax `+json` types (RFC 6839 §3.1), such as `application/problem+json`. */
export const isJsonMediaType = (type: string): boolean => type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
