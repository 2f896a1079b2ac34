import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger';
import { startTracing } from './tracing';

/**
 * Wraps a function run by a storage event or a schedule rather than a route: Powertools' logger
 * context (cold start, function name, request id) and the key `function_id` on every entry it
 * logs, tracing started on a sampled invocation, and a failure logged at ERROR with its cause
 * before Lambda sees it (and retries, for asynchronous events).
 */
export function observeEvents<Event, Result>(functionId: string, handle: (event: Event, context: Context) => Promise<Result>) {
  return middy<Event, Result, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: async () => {
        logger.appendKeys({ function_id: functionId });
        await startTracing();
      },
      onError: async (request) => {
        logger.error('invocation failed', { error: request.error });
      },
    })
    .handler(handle);
}
