import type { Context } from 'aws-lambda';
import type { CatalogueFunction } from '../../functions/catalogue/function-catalogue';
import { newRequestId } from '../api-gateway-event';
import { lambdaContext } from '../lambda-context';
import type { DeadLetterStore } from './dead-letter-store';

/** A handler run by an event: whatever the event, `(event, context)` as Lambda calls it. */
export type EventHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Runs a function's handler on one event, as one invocation: with a Lambda context whose deadline is the function's timeout. */
export type Invoke = (fn: CatalogueFunction, event: unknown) => Promise<unknown>;

export function functionInvoker(loadHandler: (module: string) => Promise<EventHandler>): Invoke {
  return async (fn, event) => {
    const handler = await loadHandler(fn.handler);
    return handler(event, lambdaContext(`mlhub-${fn.id}`, newRequestId(), fn.memoryMb, fn.timeoutSeconds));
  };
}

/** What every kind of delivery shares. */
export interface DeliveryContext {
  readonly invoke: Invoke;
  readonly deadLetters: DeadLetterStore;
  /**
   * How long to wait before the `retry`th retry (1 for the first). Locally seconds, not the
   * minutes Lambda may take, so that a developer sees a failing handler end within a minute.
   */
  readonly retryDelayMs: (retry: number) => number;
  readonly region: string;
  readonly log: (line: string) => void;
  /** True once the runtime stops: nothing new starts, and what fails after is not reported (the stores closed under it). */
  readonly stopped: () => boolean;
}

/** 1 s, 2 s, 4 s… up to 30 s. */
export const LOCAL_RETRY_DELAY_MS = (retry: number): number => Math.min(30_000, 1000 * 2 ** (retry - 1));

/** A wait that never keeps the process alive. */
export const wait = (ms: number): Promise<void> => new Promise((resolve) => {
  setTimeout(resolve, ms).unref();
});
