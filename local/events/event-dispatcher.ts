import { catalogueFunction, functionsTriggeredBy, type CatalogueFunction, type CatalogueFunctionOf } from '../../functions/catalogue/function-catalogue';
import type { BucketId } from '../../functions/catalogue/function-triggers';
import { attachTableChangeSink } from '../../functions/store/table-changes';
import type { S3ObjectEvent } from '../s3-server';
import { DeadLetterStore, type DeadLetter } from './dead-letter-store';
import { functionInvoker, LOCAL_RETRY_DELAY_MS, wait, type DeliveryContext, type EventHandler } from './delivery-context';
import type { QueueMessage } from './lambda-events';
import { QueueConsumer } from './queue-deliveries';
import { s3Deliveries } from './s3-deliveries';
import { startScheduleTimers } from './schedule-timers';
import { tableStreamDeliveries } from './table-stream-deliveries';

export interface EventDispatcherOptions {
  /** The catalogue functions to deliver to (functions/catalogue/function-catalogue.ts). */
  readonly functions: readonly CatalogueFunction[];
  readonly loadHandler: (module: string) => Promise<EventHandler>;
  /** The local name of each bucket an S3 trigger may name. */
  readonly buckets: Readonly<Record<BucketId, string>>;
  /** The table whose changes table-stream triggers see. */
  readonly tableName: string;
  /** Seconds between runs of a scheduled function locally; 0 runs it never. */
  readonly intervalSeconds: (fn: CatalogueFunctionOf<'schedule'>) => number;
  readonly region: string;
  readonly log: (line: string) => void;
  /** Wait before the nth retry of a failed S3 or stream delivery; LOCAL_RETRY_DELAY_MS by default. */
  readonly retryDelayMs?: (retry: number) => number;
}

/** The local stand-in for S3 notifications, DynamoDB streams, SQS, EventBridge and Step Functions tasks. */
export interface EventDispatcher {
  /** For the local S3 server's events (LocalS3Server.onObjectEvent). */
  readonly s3Event: (event: S3ObjectEvent) => void;
  /** SendMessage to a queue a queue trigger names. Throws for a queue no function reads. */
  sendMessage(queue: string, body: string): QueueMessage;
  /** Runs a state-machine task function on its input and answers its result, as a Step Functions task does. */
  runTask(functionId: string, input: unknown): Promise<unknown>;
  /** Events given up on, oldest first. */
  deadLetters(functionId?: string): readonly DeadLetter[];
  /**
   * Table changes some stream reader did not get delivered: waiting or under way, dead-lettered,
   * cut off by the stop or reported after it. Not 0 after a stop: what is derived from the stream
   * (the search index) may lack them, and the next start must rebuild it (local/runtime.ts).
   */
  undeliveredTableChanges(): number;
  /**
   * Stops timers and queues, lets the table stream's readers deliver what they already took (for
   * at most STREAM_DRAIN_MS, before the stores close), and detaches from the stores.
   */
  stop(): Promise<void>;
}

/** How long a stop waits for the table stream's readers to deliver what they took; what is left counts as undelivered. */
export const STREAM_DRAIN_MS = 10_000;
const DRAIN_POLL_MS = 20;

/**
 * Delivers every kind of event to the catalogue functions whose trigger takes it, in the shapes
 * Lambda gives them in the cloud: S3Events from the local S3 server, DynamoDBStreamEvents from
 * the changes the stores report after each write (dynalite has no streams; the stores report
 * only while this dispatcher is attached, and only when some function reads the stream),
 * SQSEvents from in-process queues, ScheduledEvents on timers, and task inputs on request. What
 * fails every try lands in the dead-letter store, which logs it.
 */
export function startEventDispatcher(options: EventDispatcherOptions): EventDispatcher {
  let stopped = false;
  const deadLetters = new DeadLetterStore(options.log);
  const context: DeliveryContext = {
    invoke: functionInvoker(options.loadHandler),
    deadLetters,
    retryDelayMs: options.retryDelayMs ?? LOCAL_RETRY_DELAY_MS,
    region: options.region,
    log: options.log,
    stopped: () => stopped,
  };

  const streamReaders = functionsTriggeredBy('table-stream', options.functions);
  const stream = streamReaders.length > 0 ? tableStreamDeliveries(streamReaders, options.tableName, context) : undefined;
  const detach = stream ? attachTableChangeSink(stream.deliver) : undefined;
  const consumers = new Map(functionsTriggeredBy('queue', options.functions).map((fn) => [fn.trigger.queue, new QueueConsumer(fn, context)]));
  const stopTimers = startScheduleTimers(functionsTriggeredBy('schedule', options.functions), options.intervalSeconds, context);

  return {
    s3Event: s3Deliveries(functionsTriggeredBy('s3', options.functions), options.buckets, context),
    sendMessage(queue, body) {
      const consumer = consumers.get(queue);
      if (!consumer) throw new Error(`No function reads a queue named '${queue}' (queues: ${[...consumers.keys()].join(', ') || 'none'})`);
      return consumer.send(body);
    },
    async runTask(functionId, input) {
      const fn = catalogueFunction(functionId, options.functions);
      if (fn.trigger.kind !== 'state-machine-task') throw new Error(`${functionId} is not a state-machine task (its trigger is ${fn.trigger.kind})`);
      return context.invoke(fn, input);
    },
    deadLetters: (functionId) => deadLetters.list(functionId),
    undeliveredTableChanges: () => stream?.undelivered() ?? 0,
    async stop() {
      stopTimers();
      for (const consumer of consumers.values()) consumer.stop();
      // A clean stop delivers the table changes already taken, so nothing derived from them is lost.
      const until = Date.now() + STREAM_DRAIN_MS;
      while (!stopped && (stream?.busy() ?? 0) > 0 && Date.now() < until) await wait(DRAIN_POLL_MS);
      stopped = true;
      detach?.();
    },
  };
}
