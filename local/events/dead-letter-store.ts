/** Where an event ends up locally when its function failed on it every time it was allowed to try. */
export interface DeadLetter {
  readonly functionId: string;
  /**
   * What gave up on it, and its cloud counterpart: `s3` (the function's failed-event queue, Lambda's
   * on-failure destination), `table-stream` (the event source mapping's on-failure queue), `queue`
   * (the queue's dead-letter queue, SQS's redrive).
   */
  readonly source: 's3' | 'table-stream' | 'queue';
  /** What the function was given: the S3 event record, the stream record, or the SQS message. */
  readonly payload: unknown;
  /** How many times the function ran on it. */
  readonly attempts: number;
  /** The last failure: an error's message, or that the handler reported the item failed. */
  readonly error: string;
  /** ISO 8601. */
  readonly at: string;
}

/**
 * The local runtime's dead letters, kept in memory for the process's life (the cloud keeps them
 * 14 days in SQS). Each one is also logged as it arrives, so a developer sees it where they look.
 */
export class DeadLetterStore {
  private readonly letters: DeadLetter[] = [];

  constructor(private readonly log: (line: string) => void) {}

  add(letter: Omit<DeadLetter, 'at'>): void {
    const stored = { ...letter, at: new Date().toISOString() };
    this.letters.push(stored);
    this.log(`dead letter: ${letter.functionId} gave up on a ${letter.source} event after ${letter.attempts} ${letter.attempts === 1 ? 'try' : 'tries'}: ${letter.error}`);
  }

  /** Oldest first; only one function's when `functionId` is given. */
  list(functionId?: string): readonly DeadLetter[] {
    return this.letters.filter((letter) => functionId === undefined || letter.functionId === functionId);
  }
}

/** A failure as a dead letter or a log line says it. */
export const failureText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
