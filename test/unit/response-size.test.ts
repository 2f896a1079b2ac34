import type { Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../functions/errors/app-error';
import { jsonResponse, type HttpResult } from '../../functions/http/responses';
import { RESPONSE_LIMIT, responseSizeLimit, tooLargeForPredictionAnswer } from '../../functions/http/response-size';

/** Runs the middleware's after step on an answer: the answer unchanged, or the error it throws. */
async function check(response: HttpResult, hint = tooLargeForPredictionAnswer): Promise<AppError | HttpResult> {
  const request = { response } as unknown as Request<APIGatewayProxyEventV2, HttpResult>;
  try {
    await responseSizeLimit(hint).after?.(request);
    return request.response as HttpResult;
  } catch (error) {
    return error as AppError;
  }
}

describe('the way to a smaller prediction answer (review 14b finding 7)', () => {
  it('says a single row is too large by itself, not "send at most about 1 rows"', async () => {
    const huge = jsonResponse(200, { predictions: [{ output: 'x'.repeat(RESPONSE_LIMIT) }] });
    const refused = await check(huge) as AppError;
    expect(refused.code).toBe('response_too_large');
    expect(refused.message).toMatch(/this one row is too large by itself/);
    expect(refused.message).not.toMatch(/at most about 1 rows/);
  });
});

describe('responseSizeLimit', () => {
  it('lets an answer through that fits, however near the limit its bytes come', async () => {
    const small = jsonResponse(200, { predictions: [{ output: [1, 2] }] });
    expect(await check(small)).toBe(small);
    const near = jsonResponse(200, { text: 'a'.repeat(RESPONSE_LIMIT - 1024) });
    expect(await check(near)).toBe(near);
  });

  it('counts the bytes an answer takes once serialized: escaped control characters and multi-byte text, not the string length', async () => {
    // A sixth of the limit in UTF-16 units, six times that once JSON escapes each as \u0001.
    const escaped = { statusCode: 200, headers: {}, body: '\u0001'.repeat(Math.ceil(RESPONSE_LIMIT / 6) + 10) };
    expect(await check(escaped)).toMatchObject({ code: 'response_too_large' });
    const threeBytes = { statusCode: 200, headers: {}, body: '€'.repeat(Math.ceil(RESPONSE_LIMIT / 3) + 10) };
    expect(await check(threeBytes)).toMatchObject({ code: 'response_too_large' });
  });

  it('refuses a prediction answer past the limit with the rows a request may send', async () => {
    const rows = Array.from({ length: 120_000 }, () => ({ output: [0.25, 0.5, 0.25], label: 'versicolor' }));
    const refused = await check(jsonResponse(200, { predictions: rows }));
    expect(refused).toBeInstanceOf(AppError);
    const { message } = refused as AppError;
    expect(message).toMatch(/send at most about \d+ rows per request \(this one had 120000\)/);
    const fits = Number(/about (\d+) rows/.exec(message)?.[1]);
    expect(fits).toBeLessThan(120_000);
    expect(await check(jsonResponse(200, { predictions: rows.slice(0, fits) }))).not.toBeInstanceOf(AppError);
  });
});
