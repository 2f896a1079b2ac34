import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';

/**
 * Lambda's switch for concurrent invocations in one execution environment: with it, Powertools
 * keeps each invocation's log keys and metrics in the InvokeStore (per-invocation storage)
 * instead of on the logger and metrics objects.
 */
export const CONCURRENCY_ENV = 'AWS_LAMBDA_MAX_CONCURRENCY';

/** What the local runtime's concurrent requests would otherwise share, one per in-process function. */
const LOCAL_MAX_CONCURRENCY = '1000';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any handler's event type
type Invocable = (event: any, context: Context) => Promise<unknown>;

/**
 * The local runtime serves every request in one process, concurrently, as Lambda does for a
 * function whose execution environments take several invocations at once. Like Lambda's runtime
 * there, it creates the InvokeStore (backed by AsyncLocalStorage), sets AWS_LAMBDA_MAX_CONCURRENCY,
 * and runs each invocation in its own store context keyed by its request id. Returns the wrapper
 * for handlers.
 */
export async function invocationScope(env: NodeJS.ProcessEnv = process.env): Promise<<Handler extends Invocable>(handler: Handler) => Handler> {
  const store = await InvokeStore.getInstanceAsync(true);
  // Only once the store exists: Powertools looks for it as soon as the variable is set.
  env[CONCURRENCY_ENV] ??= LOCAL_MAX_CONCURRENCY;
  return <Handler extends Invocable>(handler: Handler) =>
    ((event: unknown, context: Context) => store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () => handler(event, context))) as Handler;
}
