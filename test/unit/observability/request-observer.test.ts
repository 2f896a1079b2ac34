import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../functions/errors/app-error';
import { errorResponses } from '../../../functions/http/error-response';
import type { HttpResult } from '../../../functions/http/responses';
import type { observeRequests as ObserveRequests } from '../../../functions/observability/request-observer';
import { newRequestId, toApiGatewayEvent } from '../../../local/api-gateway-event';
import { lambdaContext } from '../../../local/lambda-context';
import { captureOutput, emfDocuments, jsonLines, type CapturedOutput } from './captured-output';

let observeRequests: typeof ObserveRequests;
let output: CapturedOutput;

beforeAll(async () => {
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.MLHUB_LOG_FORMAT;
  ({ observeRequests } = await import('../../../functions/observability/request-observer'));
});
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

/** The observer and MLHub's error shaper around a handler that fails as given: the head of routeHandler's chain. */
async function run(failure: unknown): Promise<{ response: HttpResult; requestId: string }> {
  const handler = middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
    .use(observeRequests('createModel'))
    .use(errorResponses())
    .handler(async () => {
      throw failure;
    });
  const requestId = newRequestId();
  const event = toApiGatewayEvent({ method: 'POST', url: '/model/m', headers: { host: '127.0.0.1' }, body: Buffer.alloc(0), sourceIp: '127.0.0.1', localPort: 8083 }, { routeKey: 'POST /model/{name}' }, requestId);
  return { response: await handler(event, lambdaContext('mlhub-createModel', requestId, 512, 10)), requestId };
}

describe('the request observer', () => {
  it('logs an unhandled error at ERROR as `unhandled error`: status 500, internal_error, the error with its stack and cause, under the request id the caller sees', async () => {
    const { response, requestId } = await run(new TypeError('boom', { cause: new Error('socket hang up') }));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body as string)).toEqual({ error: { code: 'internal_error', message: `Internal error (request id ${requestId})` } });
    const errors = jsonLines(output.text()).filter((entry) => entry.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'unhandled error', status: 500, error_code: 'internal_error', correlation_id: requestId, route_id: 'createModel',
      error: { name: 'TypeError', message: 'boom', cause: { name: 'Error', message: 'socket hang up' } },
    });
    expect(String((errors[0]?.error as { stack?: unknown }).stack)).toMatch(/TypeError: boom\n\s+at /);
    expect(emfDocuments(output.text())[0]).toMatchObject({ route_id: 'createModel', Requests: 1, '4xx': 0, '5xx': 1 });
  });

  it.each([
    ['bad_gateway', 'predict_function_failed', 502],
    ['unavailable', 'predict_function_busy', 503],
    ['timeout', 'timeout', 504],
  ] as const)('logs a handled %s as `request failed` with its code and cause', async (kind, code, status) => {
    const { response } = await run(new AppError(kind, code, 'failed', { cause: new Error('the cause') }));
    expect(response.statusCode).toBe(status);
    const [entry, ...more] = jsonLines(output.text()).filter((line) => line.level === 'ERROR');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ message: 'request failed', status, error_code: code, error: { name: 'AppError', code, cause: { message: 'the cause' } } });
  });

  it('logs no 4xx at ERROR, and counts it', async () => {
    const { response } = await run(new AppError('not_found', 'model_not_found', 'no such model'));
    expect(response.statusCode).toBe(404);
    expect(jsonLines(output.text()).filter((line) => line.level === 'ERROR' || line.level === 'WARN')).toEqual([]);
    expect(emfDocuments(output.text())[0]).toMatchObject({ Requests: 1, '4xx': 1, '5xx': 0 });
  });
});
