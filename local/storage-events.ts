import type { Context, S3Event } from 'aws-lambda';
import type { EventSubscription } from '../functions/routes/route-table';
import { lambdaContext } from './lambda-context';
import { newRequestId } from './api-gateway-event';
import type { S3ObjectEvent } from './s3-server';

export type EventHandler = (event: S3Event, context: Context) => Promise<unknown>;

/** `s3:ObjectCreated:*` matches `ObjectCreated:Put`, `ObjectCreated:Post`… as a bucket notification does. */
const matchesEvent = (patterns: readonly string[], eventName: string): boolean =>
  patterns.some((pattern) => {
    const bare = pattern.replace(/^s3:/, '');
    return bare.endsWith('*') ? eventName.startsWith(bare.slice(0, -1)) : eventName === bare;
  });

/** Lambda retries a failed asynchronous invocation twice; locally the waits are seconds, not minutes. */
const RETRY_DELAYS_MS = [1000, 2000];

/**
 * Delivers the local S3 server's events to the handlers subscribed to them, as S3 bucket
 * notifications invoke Lambda in the cloud: asynchronously, one record per invocation, retried
 * twice after a failure.
 */
export function routeStorageEvents(options: {
  readonly subscriptions: readonly EventSubscription[];
  readonly loadHandler: (module: string) => Promise<EventHandler>;
  readonly log: (line: string) => void;
}): (event: S3ObjectEvent) => void {
  return (event) => {
    for (const subscription of options.subscriptions) {
      if (!matchesEvent(subscription.events, event.eventName) || !event.key.startsWith(subscription.prefix) || !event.key.endsWith(subscription.suffix)) continue;
      const invoke = async (attempt: number): Promise<void> => {
        try {
          const handler = await options.loadHandler(subscription.handler);
          await handler({ Records: [event.raw] } as S3Event, lambdaContext(`mlhub-${subscription.id}`, newRequestId(), subscription.memoryMb, subscription.timeoutSeconds));
        } catch (error) {
          const delay = RETRY_DELAYS_MS[attempt];
          if (delay === undefined) {
            options.log(`${subscription.id} failed for ${event.key} after ${attempt + 1} attempts: ${(error as Error)?.message ?? String(error)}`);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, delay).unref());
          await invoke(attempt + 1);
        }
      };
      void invoke(0);
    }
  };
}
