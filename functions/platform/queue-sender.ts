import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from './aws-clients';
import { lazy } from './lazy';
import { processSlot } from './process-slot';

/** Takes a message for a queue named by the function catalogue (its trigger's `queue`). */
export type QueueSink = (queue: string, body: string) => void;

const sinkSlot = processSlot<QueueSink>('mlhub.queueSink', 'queue sink');

/**
 * Has messages go to `sink` instead of SQS: only the local runtime does this (its event
 * dispatcher holds the queues, local/events/). Returns the detach function.
 */
export function attachQueueSink(sink: QueueSink): () => void {
  return sinkSlot.attach(sink);
}

const sqs = lazy(createSqsClient);

/**
 * SendMessage to the catalogue's queue `queue`, at `queueUrl` (SQS QueueUrl, given to the
 * sending function by the stack), or to the local runtime's queue of that name.
 */
export async function sendToQueue(queue: string, queueUrl: string | undefined, body: string): Promise<void> {
  const sink = sinkSlot.get();
  if (sink) return sink(queue, body);
  if (!queueUrl) throw new Error(`No URL for the queue '${queue}': the stack gives the sending function its QueueUrl`);
  await sqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}
