import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError } from '../errors/app-error';
import { LAMBDA_PAYLOAD_LIMIT } from '../routes/route-table';
import type { HttpResult } from './responses';

/**
 * Room kept for what the outer middleware adds after this check (CORS, Vary, the request id):
 * a few hundred bytes, with a wide margin.
 */
const HEADER_ALLOWANCE = 16 * 1024;

/** The largest answer a route function may give: Lambda's 6 MB on a synchronous invocation's response, less the allowance. */
export const RESPONSE_LIMIT = LAMBDA_PAYLOAD_LIMIT - HEADER_ALLOWANCE;

/** What to tell the caller about an answer too large to return: the way to a smaller one. */
export type TooLargeAnswer = (response: HttpResult, bytes: number) => string | undefined;

/** The number of rows a prediction answer holds, read back from its JSON (only ever on this rare path). */
function predictionRows(response: HttpResult): number | undefined {
  try {
    const parsed = JSON.parse(response.body ?? '') as { predictions?: unknown };
    return Array.isArray(parsed.predictions) ? parsed.predictions.length : undefined;
  } catch {
    return undefined;
  }
}

/** For the predict routes: how many rows a request may send for its answer to fit, from this answer's bytes per row. */
export const tooLargeForPredictionAnswer: TooLargeAnswer = (response, bytes) => {
  const rows = predictionRows(response);
  if (!rows) return undefined;
  const fits = Math.floor((rows * RESPONSE_LIMIT) / bytes);
  // Fewer rows cannot help when a row's answer alone is past the limit: say so, not "at most 1 row".
  if (fits < 1) {
    return rows === 1
      ? 'the answer for this one row is too large by itself (the model\'s outputs for one input), so no request for it can be answered here; ask the model for smaller outputs'
      : `each row's answer is too large by itself (about ${Math.round(bytes / rows)} bytes a row, this request had ${rows}), so no request for these rows can be answered here; ask the model for smaller outputs`;
  }
  return `send at most about ${fits} rows per request (this one had ${rows}), and split the rest over further requests`;
};

/**
 * Every route function's answer must fit in Lambda's response payload limit (LAMBDA_PAYLOAD_LIMIT,
 * 6 MB, as the invocation's serialized result): past it AWS fails the invocation, and API Gateway
 * answers a bare 502 with no code and no request id. An answer that would not fit is replaced by
 * 413 response_too_large, naming the limit and, where the route knows one (`hint`), the way to a
 * smaller answer. Innermost, so its check sees the handler's answer before anything else.
 */
export function responseSizeLimit(hint?: TooLargeAnswer): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    after: async (request) => {
      const response = request.response;
      if (!response) return;
      // Each UTF-16 unit of the body is at most 6 bytes in the invocation's JSON (`\u001f`), so
      // most answers fit by their length alone, without a second serialization on every request.
      const rest = Buffer.byteLength(JSON.stringify({ ...response, body: '' }));
      if (rest + (response.body?.length ?? 0) * 6 <= RESPONSE_LIMIT) return;
      const bytes = Buffer.byteLength(JSON.stringify(response));
      if (bytes <= RESPONSE_LIMIT) return;
      const way = hint?.(response, bytes);
      throw new AppError('too_large', 'response_too_large',
        `The answer would be ${bytes} bytes, more than the ${RESPONSE_LIMIT} a function of this deployment may return (Lambda's ${LAMBDA_PAYLOAD_LIMIT}-byte response limit)${way ? `: ${way}` : '; ask for less at once'}`);
    },
  };
}
