import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { CatalogueFunctionOf } from '../../functions/catalogue/function-catalogue';
import type { BucketId, S3EventName } from '../../functions/catalogue/function-triggers';
import type { S3ObjectEvent } from '../s3-server';
import { failureText } from './dead-letter-store';
import { wait, type DeliveryContext } from './delivery-context';

/** `s3:ObjectCreated:*` matches `ObjectCreated:Put`, `ObjectCreated:Post`… as a bucket notification does. */
const matchesEvent = (patterns: readonly S3EventName[], eventName: string): boolean =>
  patterns.some((pattern) => {
    const bare = pattern.replace(/^s3:/, '');
    return bare.endsWith('*') ? eventName.startsWith(bare.slice(0, -1)) : eventName === bare;
  });

/** Lambda retries a failed asynchronous invocation twice (its default and maximum). */
export const ASYNC_RETRIES = 2;

/**
 * Delivers the local S3 server's events to the functions whose S3 trigger takes them, as bucket
 * notifications invoke Lambda: asynchronously, one record per invocation, retried twice after a
 * failure, then left in the dead-letter store (the cloud's failed-event queue).
 */
export function s3Deliveries(functions: readonly CatalogueFunctionOf<'s3'>[], buckets: Readonly<Record<BucketId, string>>, context: DeliveryContext): (event: S3ObjectEvent) => void {
  return (event) => {
    if (context.stopped()) return;
    for (const fn of functions) {
      const { trigger } = fn;
      if (buckets[trigger.bucket] !== event.bucket || !matchesEvent(trigger.events, event.eventName)) continue;
      if (!event.key.startsWith(trigger.prefix) || !event.key.endsWith(trigger.suffix)) continue;
      const record = event.raw as S3EventRecord;
      void (async () => {
        for (let attempt = 1; ; attempt += 1) {
          try {
            await context.invoke(fn, { Records: [record] } satisfies S3Event);
            return;
          } catch (error) {
            if (context.stopped()) return;
            if (attempt > ASYNC_RETRIES) {
              context.deadLetters.add({ functionId: fn.id, source: 's3', payload: record, attempts: attempt, error: `${event.key}: ${failureText(error)}` });
              return;
            }
            await wait(context.retryDelayMs(attempt));
            if (context.stopped()) return;
          }
        }
      })();
    }
  };
}
