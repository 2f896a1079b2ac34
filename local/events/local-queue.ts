import { randomBytes, randomUUID } from 'node:crypto';
import type { QueueMessage } from './lambda-events';

/** A message handed to a receiver, until it deletes the message or its visibility timeout ends. */
export interface ReceivedMessage {
  readonly message: QueueMessage;
  /** Names this receipt: only the latest receipt of a message deletes it. */
  readonly handle: string;
  /** 1 on the first receipt (SQS's ApproximateReceiveCount). */
  readonly count: number;
  readonly firstAt: number;
}

interface Stored {
  readonly message: QueueMessage;
  receives: number;
  firstAt?: number;
  visibleAt: number;
  handle?: string;
  lastError?: string;
}

export interface LocalQueueOptions {
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  /** Takes a message received maxReceiveCount times that comes up once more (SQS's redrive to the dead-letter queue). */
  readonly deadLetter: (message: QueueMessage, receives: number, lastError: string | undefined) => void;
  readonly now?: () => number;
}

/**
 * An SQS standard queue in memory, for one consumer: a received message is hidden for the
 * visibility timeout and comes back unless deleted with its latest receipt; one that has been
 * received maxReceiveCount times moves to the dead-letter queue instead of being received again
 * (SQS Developer Guide, "Amazon SQS visibility timeout", "Using dead-letter queues").
 */
export class LocalQueue {
  private readonly messages: Stored[] = [];
  private readonly now: () => number;

  constructor(readonly name: string, private readonly options: LocalQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  send(body: string): QueueMessage {
    const message: QueueMessage = { messageId: randomUUID(), body, sentAt: this.now() };
    this.messages.push({ message, receives: 0, visibleAt: message.sentAt });
    return message;
  }

  /** Up to `max` visible messages, oldest first, each hidden for the visibility timeout from now. */
  receive(max: number): ReceivedMessage[] {
    const now = this.now();
    const received: ReceivedMessage[] = [];
    for (const stored of [...this.messages]) {
      if (received.length >= max) break;
      if (stored.visibleAt > now) continue;
      if (stored.receives >= this.options.maxReceiveCount) {
        this.remove(stored);
        this.options.deadLetter(stored.message, stored.receives, stored.lastError);
        continue;
      }
      stored.receives += 1;
      stored.firstAt ??= now;
      stored.visibleAt = now + this.options.visibilityTimeoutMs;
      stored.handle = randomBytes(24).toString('base64url');
      received.push({ message: stored.message, handle: stored.handle, count: stored.receives, firstAt: stored.firstAt });
    }
    return received;
  }

  /** Deletes the message this receipt is the latest of; false for an outdated receipt. */
  delete(handle: string): boolean {
    const stored = this.messages.find((candidate) => candidate.handle === handle);
    if (!stored) return false;
    this.remove(stored);
    return true;
  }

  /** Notes why a receipt's message was not deleted, for the dead letter it may become. */
  failed(handle: string, error: string): void {
    const stored = this.messages.find((candidate) => candidate.handle === handle);
    if (stored) stored.lastError = error;
  }

  /** When the next hidden message becomes visible (ms since the epoch), if any is hidden. */
  nextVisibleAt(): number | undefined {
    const now = this.now();
    const hidden = this.messages.filter((stored) => stored.visibleAt > now).map((stored) => stored.visibleAt);
    return hidden.length > 0 ? Math.min(...hidden) : undefined;
  }

  /** Messages not deleted yet, visible or not. */
  get depth(): number {
    return this.messages.length;
  }

  private remove(stored: Stored): void {
    this.messages.splice(this.messages.indexOf(stored), 1);
  }
}
