/**
 * One value per process, kept under a global symbol so that every copy of a module a loader makes
 * sees the same one: for the hooks only the local runtime attaches (its event dispatcher takes
 * table changes and queue messages in place of DynamoDB Streams and SQS); in Lambda nothing is
 * attached.
 */
export function processSlot<T>(name: string, what: string): { attach(value: T): () => void; get(): T | undefined } {
  const key = Symbol.for(name);
  const holder = globalThis as unknown as Record<symbol, T | undefined>;
  return {
    /** Attaches `value`; throws if one is attached already. Returns the detach function. */
    attach(value) {
      if (holder[key]) throw new Error(`A ${what} is already attached: one event dispatcher per process`);
      holder[key] = value;
      return () => {
        if (holder[key] === value) delete holder[key];
      };
    },
    get: () => holder[key],
  };
}
