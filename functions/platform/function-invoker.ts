import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError } from '../errors/app-error';
import type { HttpResult } from '../http/responses';

/** Time kept back from the deadline to answer 504 as JSON rather than be cut off. */
const ANSWER_MARGIN_MS = 500;

const failed = (message: string, cause?: unknown): AppError =>
  new AppError('bad_gateway', 'predict_function_failed', message, cause === undefined ? undefined : { cause });

function asHttpResult(payload: unknown): HttpResult {
  const result = payload as Partial<HttpResult> | null;
  if (typeof result !== 'object' || result === null || typeof result.statusCode !== 'number') {
    throw failed('The predict function answered something other than an HTTP response');
  }
  return { ...result, statusCode: result.statusCode, headers: { ...(result.headers ?? {}) } } as HttpResult;
}

/**
 * Invokes another MLHub function synchronously (Lambda Invoke, RequestResponse) with the API
 * Gateway event this one received, and returns that function's HTTP answer as its own: the event
 * keeps its request id, so both functions log under one correlation id. The event fits, since it
 * reached this function within the same 6 MB limit.
 *
 * Errors: 502 predict_function_failed when the function failed (X-Amz-Function-Error) or could not
 * be invoked; 503 predict_function_busy when Lambda throttled it (TooManyRequestsException); 504
 * timeout when it had not answered `ANSWER_MARGIN_MS` before `deadlineMs` (milliseconds from now).
 */
export async function invokeHttpFunction(lambda: LambdaClient, functionName: string, event: APIGatewayProxyEventV2, deadlineMs: number): Promise<HttpResult> {
  let output;
  try {
    output = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }),
      { abortSignal: AbortSignal.timeout(Math.max(1, deadlineMs - ANSWER_MARGIN_MS)) },
    );
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'TooManyRequestsException') {
      throw new AppError('unavailable', 'predict_function_busy', 'Predictions are at their concurrency limit; retry in a moment', { headers: { 'retry-after': '1' }, cause: error });
    }
    if (name === 'AbortError' || name === 'TimeoutError') throw new AppError('timeout', 'timeout', 'The prediction took too long and was abandoned', { cause: error });
    throw failed('The predict function could not be invoked', error);
  }
  const text = Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw failed('The predict function answered something other than JSON', error);
  }
  if (output.FunctionError) {
    const { errorType, errorMessage } = (payload ?? {}) as { errorType?: string; errorMessage?: string };
    throw failed('The predict function failed', new Error(`${errorType ?? output.FunctionError}: ${errorMessage ?? text.slice(0, 500)}`));
  }
  return asHttpResult(payload);
}
