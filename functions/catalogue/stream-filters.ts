import { TABLE_DESIGN } from '../store/table-design';
import type { KeyPrefix, TableStreamTrigger } from './function-triggers';

/**
 * Lambda's own limit on filters per event source mapping (Lambda Developer Guide, "Lambda
 * quotas": 5 by default). A record passes when it matches any one of them.
 */
export const MAX_FILTERS_PER_EVENT_SOURCE = 5;

/** One rule of a Lambda filter pattern: a value it must equal, or a `{ prefix }` it must start with. */
export type FilterRule = string | { readonly prefix: string };

/**
 * A Lambda event filter pattern over a DynamoDB stream record (Lambda Developer Guide, "Lambda
 * event filtering", "Filtering DynamoDB events"): every field named must hold a value matching one
 * of its rules.
 */
export interface StreamFilterPattern {
  readonly eventName: readonly FilterRule[];
  readonly dynamodb: { readonly Keys: Readonly<Record<string, { readonly S: readonly FilterRule[] }>> };
}

function keyRules(prefix: KeyPrefix): StreamFilterPattern['dynamodb']['Keys'] {
  return {
    [TABLE_DESIGN.partitionKey]: { S: [{ prefix: prefix.partitionKey }] },
    ...(prefix.sortKey !== undefined ? { [TABLE_DESIGN.sortKey]: { S: [{ prefix: prefix.sortKey }] } } : {}),
  };
}

/**
 * The filters a table-stream trigger stands for: one per key prefix, each also requiring one of
 * the trigger's event names. The stack gives them to the event source mapping as they are, and
 * the local dispatcher applies the same patterns, so both pass the same records. Throws for a
 * trigger Lambda would refuse: no events, no key prefix, an empty partition key prefix, or more
 * filters than Lambda allows.
 */
export function streamFilterPatterns(trigger: TableStreamTrigger): StreamFilterPattern[] {
  if (trigger.events.length === 0) throw new Error('A table-stream trigger needs at least one event name (INSERT, MODIFY, REMOVE)');
  if (trigger.keyPrefixes.length === 0) throw new Error('A table-stream trigger needs at least one key prefix: a function never reads the whole table\'s changes');
  if (trigger.keyPrefixes.length > MAX_FILTERS_PER_EVENT_SOURCE) {
    throw new Error(`A table-stream trigger has ${trigger.keyPrefixes.length} key prefixes; Lambda takes at most ${MAX_FILTERS_PER_EVENT_SOURCE} filters per event source`);
  }
  return trigger.keyPrefixes.map((prefix) => {
    if (prefix.partitionKey === '') throw new Error('A key prefix needs a partition key prefix');
    return { eventName: [...new Set(trigger.events)], dynamodb: { Keys: keyRules(prefix) } };
  });
}
