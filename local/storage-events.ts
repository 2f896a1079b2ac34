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

/**
 * Delivers the local S3 server's events to the handlers subscribed to them, as S3 bucket
 * notifications invoke Lambda in the cloud: asynchronously, one record per invocation.
 */
export function routeStorageEvents(options: {
  readonly subscriptions: readonly EventSubscription[];
  readonly loadHandler: (module: string) => Promise<EventHandler>;
  readonly log: (line: string) => void;
}): (event: S3ObjectEvent) => void {
  return (event) => {
    for (const subscription of options.subscriptions) {
      if (!matchesEvent(subscription.events, event.eventName) || !event.key.startsWith(subscription.prefix) || !event.key.endsWith(subscription.suffix)) continue;
      const requestId = newRequestId();
      options.loadHandler(subscription.handler)
        .then((handler) => handler({ Records: [event.raw] } as S3Event, lambdaContext(`mlhub-${subscription.id}`, requestId, subscription.memoryMb, subscription.timeoutSeconds)))
        .catch((error: unknown) => options.log(`${subscription.id} failed for ${event.key}: ${(error as Error)?.stack ?? String(error)}`));
    }
  };
}
