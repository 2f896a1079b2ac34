import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_DESIGN, type IndexDesign } from './table-design';

/** One item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

const { byOwner, publicModels } = TABLE_DESIGN.indexes;

/** Attributes that place an item in the table and its indexes, or coordinate writers: never part of a record. */
const KEY_ATTRIBUTES = [TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey, byOwner.partitionKey, byOwner.sortKey, publicModels.partitionKey, publicModels.sortKey, 'kind', 'modelName', 'finalizeUntil', 'finalizer'];

/** The record an item holds, without its keys and coordination attributes. */
export function stripKeys<T>(item: Item): T {
  const record: Item = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete record[attribute];
  return record as T;
}

/** A conditional write lost: the item was not in the state the write required. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * Runs a conditional write; false when its condition did not hold, so callers branch on the
 * outcome of a race instead of catching it.
 */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every item of one partition, page after page, read consistently. */
export async function* partitionItems(client: DynamoDBDocumentClient, tableName: string, partition: string, options: { keysOnly?: boolean } = {}): AsyncGenerator<Item> {
  let startKey: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ...(options.keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, ...(options.keysOnly ? { '#sk': TABLE_DESIGN.sortKey } : {}) },
      ExpressionAttributeValues: { ':pk': partition },
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
    }));
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/**
 * Runs batch requests until DynamoDB has processed every element, backing off while it hands
 * some back unprocessed (as it does under throttling).
 */
export async function untilProcessed(elements: Item[], batchSize: number, send: (batch: Item[]) => Promise<Item[]>): Promise<void> {
  for (let i = 0; i < elements.length; i += batchSize) {
    let pending = elements.slice(i, i + batchSize);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error(`DynamoDB left ${pending.length} requests unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      pending = await send(pending);
    }
  }
}

/** Every item of one partition of a global secondary index, page after page (index reads are eventually consistent). */
export async function* indexPartitionItems(client: DynamoDBDocumentClient, tableName: string, index: IndexDesign, partition: string): AsyncGenerator<Item> {
  let startKey: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({
      TableName: tableName,
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': partition },
      ExclusiveStartKey: startKey,
    }));
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/**
 * One page of a partition of the owner index, newest first (sort keys read backwards): at most
 * `limit` items strictly below `before`, and `last`, the sort key the next page continues below
 * (absent on the last page). For "my datasets", "my jobs" and the like (functions/registry/list-cursor.ts).
 */
export async function ownerIndexPage(client: DynamoDBDocumentClient, tableName: string, partition: string, query: { readonly limit: number; readonly before?: string; readonly oldestFirst?: boolean }): Promise<{ items: Item[]; last?: string }> {
  const index = TABLE_DESIGN.indexes.byOwner;
  const below = query.before !== undefined;
  const result = await client.send(new QueryCommand({
    TableName: tableName,
    IndexName: index.indexName,
    KeyConditionExpression: below ? '#pk = :pk AND #sk < :before' : '#pk = :pk',
    ExpressionAttributeNames: { '#pk': index.partitionKey, ...(below ? { '#sk': index.sortKey } : {}) },
    ExpressionAttributeValues: { ':pk': partition, ...(below ? { ':before': query.before } : {}) },
    ScanIndexForward: query.oldestFirst === true,
    Limit: query.limit,
  }));
  const items = result.Items ?? [];
  const last = items.at(-1);
  return { items, ...(result.LastEvaluatedKey && last ? { last: String(last[index.sortKey]) } : {}) };
}

/**
 * The first `limit` items of a partition of the owner index, oldest (lowest sort key) first: the
 * work queues the sweeps drain (pending versions and datasets by expiry, DOI work by its age).
 */
export async function ownerIndexHead(client: DynamoDBDocumentClient, tableName: string, partition: string, limit: number): Promise<Item[]> {
  return (await ownerIndexPage(client, tableName, partition, { limit, oldestFirst: true })).items;
}

/**
 * The pieces of a conditional move between states: `SET` assignments for each of `fields`, and
 * `#status IN (…)` for the states it may move from, adding the names and values they use to
 * `names` and `values` (`#status` is named too).
 */
export function stateMove(fields: Readonly<Record<string, unknown>>, from: readonly string[], names: Record<string, string>, values: Item): { assignments: string; condition: string } {
  names['#status'] = 'status';
  const assignments = Object.entries(fields).map(([field, value]) => {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    return `#${field} = :${field}`;
  });
  const allowed = from.map((status, i) => {
    values[`:from${i}`] = status;
    return `:from${i}`;
  });
  return { assignments: assignments.join(', '), condition: `#status IN (${allowed.join(', ')})` };
}
