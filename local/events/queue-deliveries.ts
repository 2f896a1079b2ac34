import type { SQSEvent } from 'aws-lambda';
import type { CatalogueFunctionOf } from '../../functions/catalogue/function-catalogue';
import { failedItems } from './batch-response';
import { failureText } from './dead-letter-store';
import type { DeliveryContext } from './delivery-context';
import { queueRecord, type QueueMessage } from './lambda-events';
import { LocalQueue } from './local-queue';

/**
 * One function's queue and the event source mapping that reads it: whenever messages are visible,
 * a batch of up to batchSize goes to the handler as an SQSEvent. Messages of a run that succeeded
 * are deleted; under ReportBatchItemFailures only those the handler names stay, and a run that
 * throws keeps them all. Kept messages come back after the visibility timeout, until the queue
 * moves them to the dead-letter store. One batch at a time (Lambda may run several at once).
 */
export class QueueConsumer {
  readonly queue: LocalQueue;
  private polling = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;

  constructor(private readonly fn: CatalogueFunctionOf<'queue'>, private readonly context: DeliveryContext) {
    const { trigger } = fn;
    this.queue = new LocalQueue(trigger.queue, {
      visibilityTimeoutMs: trigger.visibilityTimeoutSeconds * 1000,
      maxReceiveCount: trigger.maxReceiveCount,
      deadLetter: (message, receives, lastError) => context.deadLetters.add({
        functionId: fn.id, source: 'queue', payload: message, attempts: receives, error: lastError ?? 'no error recorded',
      }),
    });
  }

  /**
   * SendMessage: queues the body and returns the message as SQS keeps it. The queue is polled on
   * the next turn of the event loop, so that messages sent together arrive in one batch.
   */
  send(body: string): QueueMessage {
    const message = this.queue.send(body);
    this.pollAt(Date.now());
    return message;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Polls at `at` (ms since the epoch), or sooner if a poll is already due sooner. */
  private pollAt(at: number): void {
    if (this.context.stopped() || (this.timer !== undefined && this.timerAt <= at)) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll();
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private poll(): void {
    if (this.polling || this.context.stopped()) return;
    this.polling = true;
    void (async () => {
      try {
        for (let batch = this.queue.receive(this.fn.trigger.batchSize); batch.length > 0 && !this.context.stopped(); batch = this.queue.receive(this.fn.trigger.batchSize)) {
          await this.deliver(batch);
        }
      } finally {
        this.polling = false;
        this.pollWhenVisible();
      }
    })();
  }

  /** Polls again when the next hidden message comes back. */
  private pollWhenVisible(): void {
    const at = this.queue.nextVisibleAt();
    if (at !== undefined) this.pollAt(at);
  }

  private async deliver(batch: ReturnType<LocalQueue['receive']>): Promise<void> {
    const records = batch.map((received) => queueRecord(this.queue.name, received.message, received, this.context.region));
    const ids = records.map((record) => record.messageId);
    let failed: readonly string[];
    let why: string;
    try {
      failed = failedItems(await this.context.invoke(this.fn, { Records: records } satisfies SQSEvent), ids);
      why = 'the handler reported it failed';
    } catch (error) {
      failed = ids;
      why = failureText(error);
    }
    for (const received of batch) {
      if (failed.includes(received.message.messageId)) this.queue.failed(received.handle, why);
      else this.queue.delete(received.handle);
    }
  }
}
