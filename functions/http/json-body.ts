import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parse as parseLossless } from 'lossless-json';
import { AppError, invalid } from '../errors/app-error';
import { toStorable } from '../store/storable-values';
import { bodyBytes, isJsonMediaType, parseMediaType } from './request-body';
import type { HttpResult } from './responses';

/**
 * Deeper than this, a document is refused before any parser recurses into it (a stack of
 * `[[[[…` must not exhaust the stack). Stored documents have a tighter limit, checked with the
 * path of the offending field (functions/store/storable-values.ts).
 */
export const MAX_JSON_NESTING = 512;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body's text. RFC 8259 §8.1: JSON exchanged between systems is UTF-8. A body that is not
 * valid UTF-8 is refused (400 `invalid_encoding`), instead of having its bad bytes turned into
 * U+FFFD; a leading byte order mark is dropped, as RFC 8259 lets a parser do. Another charset
 * or a content coding (`Content-Encoding: gzip`) is a 415.
 */
export function decodeJsonText(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>): string {
  const charset = parseMediaType(event.headers?.['content-type']).parameters.charset?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError('unsupported_media_type', 'unsupported_media_type', `JSON is read as UTF-8 only (RFC 8259 §8.1), not charset '${charset.slice(0, 40)}'`);
  }
  const coding = event.headers?.['content-encoding']?.trim().toLowerCase();
  if (coding && coding !== 'identity') {
    // RFC 9110 §8.4.1: a content coding the server does not accept is a 415.
    throw new AppError('unsupported_media_type', 'unsupported_media_type', `JSON bodies are read without a content coding; send it without 'Content-Encoding: ${coding.slice(0, 40)}'`);
  }
  const bytes = event.isBase64Encoded ? bodyBytes(event) : undefined;
  try {
    return bytes ? utf8.decode(bytes) : (event.body ?? '').replace(/^\uFEFF/, '');
  } catch {
    throw invalid('invalid_encoding', 'The JSON body is not valid UTF-8; send UTF-8 text (RFC 8259 §8.1)');
  }
}

/** How deeply the JSON text nests, counting brackets outside strings; stops counting past `limit`. */
function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i += 1;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

function parseText(text: string, lossless: boolean): unknown {
  if (nestingExceeds(text, MAX_JSON_NESTING)) throw invalid('nested_too_deep', `The JSON body nests more than ${MAX_JSON_NESTING} levels deep`);
  try {
    return lossless ? parseLossless(text) : JSON.parse(text);
  } catch (error) {
    throw invalid('invalid_json', `The request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

/**
 * Reads a JSON request body into `event.body`, for every route that takes JSON:
 * - `Content-Type` is matched by parseMediaType (case-insensitive, whitespace around
 *   parameters allowed): `application/json` or a `+json` type, with no charset or UTF-8;
 *   another type is a 415 (or, with `otherTypes: 'pass'`, left to the next parser);
 * - the bytes must be UTF-8 (400 `invalid_encoding`), the text JSON (400 `invalid_json`,
 *   duplicate keys included with `storable`);
 * - `optional`: an empty body (no bytes) is read as `{}` rather than refused with 400 `missing_body`;
 * - `storable`: the document is kept exactly as DynamoDB would store it, or refused with a 400
 *   naming the field (numbers read as written, depth, keys, lone surrogates, size).
 */
export function jsonBody(options: { readonly storable: boolean; readonly otherTypes: 'refuse' | 'pass'; readonly optional?: boolean }): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const { event } = request;
      const empty = event.body === undefined || event.body === null || event.body === '';
      // A route whose body is optional reads none as an empty document, whatever the Content-Type.
      if (empty && options.optional) {
        (event as { body: unknown }).body = {};
        return;
      }
      if (empty && options.otherTypes === 'refuse') throw invalid('missing_body', 'This endpoint needs a JSON request body');
      if (!isJsonMediaType(parseMediaType(event.headers?.['content-type']).type)) {
        if (options.otherTypes === 'pass') return;
        throw new AppError('unsupported_media_type', 'unsupported_media_type', "Send the body as JSON with 'Content-Type: application/json'");
      }
      const text = decodeJsonText(event);
      if (text.trim() === '') {
        if (options.otherTypes === 'pass') return;
        throw invalid('missing_body', 'This endpoint needs a JSON request body');
      }
      const document = parseText(text, options.storable);
      (event as { body: unknown }).body = options.storable ? toStorable(document) : document;
    },
  };
}
