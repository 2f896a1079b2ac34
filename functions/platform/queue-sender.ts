import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from './aws-clients';
import { lazy } from './lazy';

/** Takes a message for a queue named by the function catalogue (its trigger's `queue`). */
export type QueueSink = (queue: string, body: string) => void;

/** Where an attached sink lives: one per process, whichever copy of this module a loader made. */
const SINK = Symbol.for('mlhub.queueSink');
type SinkHolder = { [SINK]?: QueueSink };

/**
 * Has messages go to `sink` instead of SQS: only the local runtime does this (its event
 * dispatcher holds the queues, local/events/). Returns the detach function.
 */
export function attachQueueSink(sink: QueueSink): () => void {
  const holder = globalThis as SinkHolder;
  if (holder[SINK]) throw new Error('A queue sink is already attached: one event dispatcher per process');
  holder[SINK] = sink;
  return () => {
    if (holder[SINK] === sink) delete holder[SINK];
  };
}

const sqs = lazy(createSqsClient);

/**
 * SendMessage to the catalogue's queue `queue`, at `queueUrl` (SQS QueueUrl, given to the
 * sending function by the stack), or to the local runtime's queue of that name.
 */
export async function sendToQueue(queue: string, queueUrl: string | undefined, body: string): Promise<void> {
  const sink = (globalThis as SinkHolder)[SINK];
  if (sink) return sink(queue, body);
  if (!queueUrl) throw new Error(`No URL for the queue '${queue}': the stack gives the sending function its QueueUrl`);
  await sqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}
