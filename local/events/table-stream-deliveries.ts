import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CatalogueFunctionOf } from '../../functions/catalogue/function-catalogue';
import { streamFilterPatterns } from '../../functions/catalogue/stream-filters';
import type { TableChange } from '../../functions/store/table-changes';
import { failedItems } from './batch-response';
import { failureText } from './dead-letter-store';
import { wait, type DeliveryContext } from './delivery-context';
import { passesFilters } from './filter-patterns';
import { streamRecord } from './lambda-events';

/**
 * One function's view of the table's stream, as an event source mapping reads one shard: the
 * records its filters pass, in order, a batch at a time. A batch whose run fails is retried
 * (after the local retry delay) from its first failed record (the whole batch when the handler
 * threw, from the first item it reported otherwise), up to the trigger's retryAttempts; what still
 * fails goes to the dead-letter store (the cloud's on-failure queue), and the stream moves on.
 */
class StreamReader {
  private readonly pending: DynamoDBRecord[] = [];
  private reading = false;
  private readonly filters: readonly unknown[];
  /** Records of the batch being delivered, and records given up on (dead letters, or cut off by a stop). */
  private inFlight = 0;
  private abandoned = 0;

  constructor(private readonly fn: CatalogueFunctionOf<'table-stream'>, private readonly context: DeliveryContext) {
    this.filters = streamFilterPatterns(fn.trigger);
  }

  offer(record: DynamoDBRecord): void {
    if (!passesFilters(this.filters, record)) return;
    this.pending.push(record);
    void this.read();
  }

  /** Records taken that are still waiting or under way. */
  busy(): number {
    return this.pending.length + this.inFlight;
  }

  /** Records taken that were not delivered: still waiting or under way, dead-lettered, or cut off by a stop. */
  undelivered(): number {
    return this.busy() + this.abandoned;
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      while (this.pending.length > 0 && !this.context.stopped()) {
        const batch = this.pending.splice(0, this.fn.trigger.batchSize);
        this.inFlight = batch.length;
        try {
          await this.deliver(batch);
        } finally {
          this.inFlight = 0;
        }
      }
    } finally {
      this.reading = false;
    }
  }

  private async deliver(batch: DynamoDBRecord[]): Promise<void> {
    let remaining = batch;
    for (let attempt = 1; ; attempt += 1) {
      let failure: string;
      try {
        const ids = remaining.map((record) => record.dynamodb?.SequenceNumber ?? '');
        const failed = failedItems(await this.context.invoke(this.fn, { Records: remaining } satisfies DynamoDBStreamEvent), ids);
        if (failed.length === 0) return;
        // Lambda checkpoints before the first failed record and retries from there on.
        remaining = remaining.slice(ids.indexOf(failed[0] as string));
        failure = `the handler reported ${failed.length} of ${ids.length} records failed`;
      } catch (error) {
        failure = failureText(error);
      }
      if (this.context.stopped() || attempt > this.fn.trigger.retryAttempts) this.abandoned += remaining.length;
      if (this.context.stopped()) return;
      if (attempt > this.fn.trigger.retryAttempts) {
        for (const record of remaining) this.context.deadLetters.add({ functionId: this.fn.id, source: 'table-stream', payload: record, attempts: attempt, error: failure });
        return;
      }
      await wait(this.context.retryDelayMs(attempt));
      if (this.context.stopped()) {
        this.abandoned += remaining.length;
        return;
      }
    }
  }
}

/**
 * Delivers the changes the stores report (functions/store/table-changes.ts) to the functions whose
 * table-stream trigger takes them, as DynamoDBStreamEvents. Only changes to `tableName` count: the
 * stack streams MLHub's one table.
 */
export function tableStreamDeliveries(functions: readonly CatalogueFunctionOf<'table-stream'>[], tableName: string, context: DeliveryContext): TableStreamDeliveries {
  const readers = functions.map((fn) => new StreamReader(fn, context));
  let sequence = 0n;
  let missed = 0;
  const sum = (count: (reader: StreamReader) => number) => readers.reduce((total, reader) => total + count(reader), 0);
  return {
    deliver(change) {
      if (change.tableName !== tableName) return;
      if (context.stopped()) {
        missed += 1;
        return;
      }
      sequence += 1n;
      const record = streamRecord(change, sequence.toString().padStart(21, '0'), context.region);
      for (const reader of readers) reader.offer(record);
    },
    busy: () => sum((reader) => reader.busy()),
    undelivered: () => missed + sum((reader) => reader.undelivered()),
  };
}

/** The table's stream, locally: what the stores report goes in; what is still under way, or was never delivered, can be asked. */
export interface TableStreamDeliveries {
  readonly deliver: (change: TableChange) => void;
  /** Records waiting or being delivered now. */
  busy(): number;
  /** Records (one per reader) not delivered: waiting or under way, dead-lettered, cut off by a stop, or reported after it. */
  undelivered(): number;
}
