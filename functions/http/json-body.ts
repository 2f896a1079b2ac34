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

/**
 * What a scan of JSON text outside its strings finds before any parser runs: nesting past
 * `limit` (a stack of `[[[[…` must not exhaust a parser's stack), or a key given twice in one
 * object, which JSON.parse would settle silently by keeping the last (RFC 8259 §4: names SHOULD be
 * unique; MLHub refuses rather than guess). Keys are compared decoded, so `"a"` and `"\u0061"`
 * are one key. Linear in the text; numbers and arrays, most of a large prediction, cost one
 * comparison a character. Text that is not JSON is left for the parser to refuse.
 */
function scanStructure(text: string, limit: number): { readonly tooDeep: boolean; readonly duplicateKey?: string } {
  // One entry per open bracket: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      const from = i;
      for (i += 1; i < text.length; i += 1) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c) i += 1;
        else if (inner === 0x22) break;
      }
      const keys = open[open.length - 1];
      if (!keys) continue;
      let next = i + 1;
      while (next < text.length && /\s/.test(text[next] as string)) next += 1;
      if (text.charCodeAt(next) !== 0x3a) continue;
      let key: string;
      try {
        key = JSON.parse(text.slice(from, i + 1)) as string;
      } catch {
        return { tooDeep: false };
      }
      if (keys.has(key)) return { tooDeep: false, duplicateKey: key };
      keys.add(key);
    } else if (code === 0x5b || code === 0x7b) {
      if (open.length >= limit) return { tooDeep: true };
      open.push(code === 0x7b ? new Set() : null);
    } else if (code === 0x5d || code === 0x7d) {
      open.pop();
    }
  }
  return { tooDeep: false };
}

function parseText(text: string, lossless: boolean): unknown {
  const { tooDeep, duplicateKey } = scanStructure(text, MAX_JSON_NESTING);
  if (tooDeep) throw invalid('nested_too_deep', `The JSON body nests more than ${MAX_JSON_NESTING} levels deep`);
  if (duplicateKey !== undefined) throw invalid('invalid_json', `The request body is not valid JSON for MLHub: the key '${duplicateKey.slice(0, 100)}' appears twice in one object`);
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
 *   a key given twice in one object included, whatever the route);
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
