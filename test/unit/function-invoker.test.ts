/**
 * createModel's hand-over of the seed's image form, end to end below HTTP routing: the real
 * LambdaClient against the local runtime's Lambda Invoke endpoint, which runs handlers in process.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../functions/errors/app-error';
import { jsonResponse } from '../../functions/http/responses';
import { invokeHttpFunction } from '../../functions/platform/function-invoker';
import { newRequestId, toApiGatewayEvent } from '../../local/api-gateway-event';
import { startLambdaServer, type RunningLambdaServer } from '../../local/lambda-server';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';

const handlers: Record<string, (event: unknown, context: Context) => Promise<unknown>> = {
  answers: async (event, context) => jsonResponse(200, { seen: (event as { requestContext: { requestId: string } }).requestContext.requestId, function: context.functionName }, { 'x-from': 'predict' }),
  fails: async () => {
    throw new RangeError('the model file vanished');
  },
  slow: () => new Promise((resolve) => setTimeout(() => resolve(jsonResponse(200, {})), 2000)),
  answersJunk: async () => 'not an HTTP response',
};

let server: RunningLambdaServer;
let lambda: LambdaClient;
const event = toApiGatewayEvent(
  { method: 'POST', url: '/model/mnist', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: Buffer.from('--x--'), sourceIp: '127.0.0.1', localPort: 8083 },
  { routeKey: 'POST /model/{name}', pathParameters: { name: 'mnist' } }, newRequestId(),
);

beforeAll(async () => {
  server = await startLambdaServer({
    host: '127.0.0.1',
    functions: Object.keys(handlers).map((id) => ({ id, handler: id, memoryMb: 128, timeoutSeconds: 5 })),
    loadHandler: async (module) => handlers[module] as (event: unknown, context: Context) => Promise<unknown>,
  });
  lambda = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  lambda?.destroy();
  await server?.close();
});

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
};

describe('invokeHttpFunction through the local Lambda endpoint', () => {
  it('returns the invoked function\'s HTTP answer as is; the event (and its request id) reaches it whole, under a Lambda context of its own', async () => {
    const answer = await invokeHttpFunction(lambda, 'mlhub-answers', event, 5000);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-from']).toBe('predict');
    expect(JSON.parse(answer.body as string)).toEqual({ seen: event.requestContext.requestId, function: 'mlhub-answers' });
    // By ARN too, as a deployed function may be named.
    expect((await invokeHttpFunction(lambda, 'arn:aws:lambda:us-east-1:123456789012:function:mlhub-answers', event, 5000)).statusCode).toBe(200);
  });

  it('answers 502 predict_function_failed when the function fails, with its error as the cause, or answers something else than HTTP', async () => {
    const failed = await failure(invokeHttpFunction(lambda, 'mlhub-fails', event, 5000));
    expect(failed).toMatchObject({ kind: 'bad_gateway', code: 'predict_function_failed' });
    expect(String((failed.cause as Error).message)).toBe('RangeError: the model file vanished');
    expect(await failure(invokeHttpFunction(lambda, 'mlhub-answersJunk', event, 5000))).toMatchObject({ kind: 'bad_gateway', code: 'predict_function_failed' });
  });

  it('answers 502 when there is no such function, and 504 timeout when the deadline comes first', async () => {
    const missing = await failure(invokeHttpFunction(lambda, 'mlhub-nowhere', event, 5000));
    expect(missing).toMatchObject({ kind: 'bad_gateway', code: 'predict_function_failed' });
    expect((missing.cause as Error).name).toBe('ResourceNotFoundException');
    expect(await failure(invokeHttpFunction(lambda, 'mlhub-slow', event, 1000))).toMatchObject({ kind: 'timeout', code: 'timeout' });
  });
});
