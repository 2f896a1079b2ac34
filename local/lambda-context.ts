import type { Context } from 'aws-lambda';

/** A function's name in the local runtime, from its id in the route table or the function catalogue. */
export const localFunctionName = (id: string): string => `mlhub-${id}`;

/** The Lambda context a local invocation gets: a deadline, and the names a function logs with. */
export function lambdaContext(functionName: string, requestId: string, memoryMb: number, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
