import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { processSlot } from '../platform/process-slot';
import { TABLE_DESIGN } from './table-design';

/** An item as DynamoDB's wire protocol writes it, as stream records carry it. */
export type WireItem = Record<string, AttributeValue>;

/**
 * One change to one item, as a DynamoDB stream with NEW_AND_OLD_IMAGES records it (DynamoDB
 * Streams API Reference, "StreamRecord"): INSERT has only the new image, REMOVE only the old one.
 */
export interface TableChange {
  readonly tableName: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly keys: WireItem;
  readonly newImage?: WireItem;
  readonly oldImage?: WireItem;
  /** When the write was seen, in ms since the epoch. */
  readonly at: number;
}

export type TableChangeSink = (change: TableChange) => void;

const sinkSlot = processSlot<TableChangeSink>('mlhub.tableChangeSink', 'table change sink');

/**
 * Has the document clients built from now on report every item they change. Only the local
 * runtime does this (dynalite has no streams); in Lambda nothing is attached and clients are
 * built exactly as without it. Returns the detach function.
 */
export function attachTableChangeSink(sink: TableChangeSink): () => void {
  return sinkSlot.attach(sink);
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

interface WriteInput {
  readonly TableName?: string;
  readonly Item?: WireItem;
  readonly Key?: WireItem;
  readonly RequestItems?: Record<string, readonly { PutRequest?: { Item?: WireItem }; DeleteRequest?: { Key?: WireItem } }[]>;
}

const keyOf = (item: WireItem): WireItem => {
  const key: WireItem = {};
  for (const name of [TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey]) if (item[name]) key[name] = item[name];
  return key;
};

/** The items a write may change, by table: `[table, key]` pairs. */
function writtenKeys(input: WriteInput): [string, WireItem][] {
  if (input.RequestItems) {
    return Object.entries(input.RequestItems).flatMap(([table, requests]) => requests.flatMap((request) => {
      const key = request.PutRequest?.Item ? keyOf(request.PutRequest.Item) : request.DeleteRequest?.Key;
      return key ? [[table, key] as [string, WireItem]] : [];
    }));
  }
  const key = input.Key ?? (input.Item ? keyOf(input.Item) : undefined);
  return input.TableName && key ? [[input.TableName, key]] : [];
}

/** Whether two images hold the same attributes: DynamoDB streams record no change that changed nothing. */
const sameImage = (a: WireItem, b: WireItem): boolean => {
  const canonical = (item: WireItem) => JSON.stringify(Object.keys(item).sort().map((name) => [name, item[name]]));
  return canonical(a) === canonical(b);
};

function changeBetween(tableName: string, keys: WireItem, oldImage: WireItem | undefined, newImage: WireItem | undefined): TableChange | undefined {
  const at = Date.now();
  if (oldImage && newImage) return sameImage(oldImage, newImage) ? undefined : { tableName, eventName: 'MODIFY', keys, oldImage, newImage, at };
  if (newImage) return { tableName, eventName: 'INSERT', keys, newImage, at };
  if (oldImage) return { tableName, eventName: 'REMOVE', keys, oldImage, at };
  return undefined;
}

/**
 * When a sink is attached, makes the client report each item its successful writes (PutItem,
 * UpdateItem, DeleteItem, BatchWriteItem) changed, with the item before and after, read
 * consistently around the write; a write that fails, or changes nothing, reports nothing. With no
 * sink attached it does nothing at all, so a deployed function pays nothing for it.
 *
 * The images come from reads, not from the write itself, so that callers see their requests and
 * answers untouched: under concurrent writes to one item, an image may be a neighbour's state (a
 * stream consumer must be idempotent and read what it needs anyway, as records may repeat).
 */
export function watchTableChanges(client: DynamoDBDocumentClient): void {
  const sink = sinkSlot.get();
  if (!sink) return;
  const read = async (tableName: string, key: WireItem): Promise<WireItem | undefined> =>
    (await client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  // At the build step the document client has already marshalled its input into wire form.
  client.middlewareStack.add((next, context) => async (args) => {
    if (!WRITES.has(String(context.commandName))) return next(args);
    const targets = writtenKeys(args.input as WriteInput);
    const before = await Promise.all(targets.map(([table, key]) => read(table, key)));
    const result = await next(args);
    const after = await Promise.all(targets.map(([table, key]) => read(table, key)));
    targets.forEach(([table, key], index) => {
      const change = changeBetween(table, key, before[index], after[index]);
      if (change) sink(change);
    });
    return result;
  }, { step: 'build', name: 'mlhubTableChanges' });
}
