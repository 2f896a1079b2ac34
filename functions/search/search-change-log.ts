import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { modelPartition } from '../registry/table-keys';
import { partitionItems, untilProcessed, type Item } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import { searchDocumentOf } from './search-document';
import type { SearchDocument } from './search-engine';

/**
 * The search change log: one partition of the table, read by every search function to catch up
 * past its snapshot, and by the indexer to build the next one.
 *
 *   PK=SEARCH#CHANGES  SK=SEQ#<15 digits>  one change: the model's new document, or its removal
 *   PK=SEARCH#CHANGES  SK=~HEAD            `sequence`: the last number handed out (ADD, so every
 *                                          writer gets its own); `trimmedThrough`: entries up to it
 *                                          may be gone (the indexer trims what a snapshot covers)
 *
 * The order every reader agrees on is the entries' sequence. A writer takes its number before it
 * reads the model's collection (strongly consistent), so an entry holds at least every write made
 * before its number was taken; every write to a collection is followed by an entry (the stream,
 * through the indexer, and for access changes the write path itself), so the last entry of a model
 * holds its state as of its last write. A number may be taken and its entry appear a moment later
 * (or never, if its writer died): readers apply what they find in order but advance their mark
 * only over an unbroken run, and step over a hole that stays open longer than HOLE_PATIENCE_MS.
 * Entries are whole documents or removals, so applying one twice changes nothing.
 */
export const SEARCH_LOG_PARTITION = 'SEARCH#CHANGES';
const ENTRY_PREFIX = 'SEQ#';
const HEAD_SORT_KEY = '~HEAD';
const SEQUENCE_DIGITS = 15;

/** How long a hole in the sequence may stay open before readers step over it: a writer that took a number and did not write within this died. */
export const HOLE_PATIENCE_MS = 10_000;

const entrySortKey = (sequence: number): string => `${ENTRY_PREFIX}${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;

/** One change of the index: the model's document as of `sequence`, or its removal (no document). */
export interface SearchChange {
  readonly sequence: number;
  readonly name: string;
  readonly document?: SearchDocument;
  /** When it was written, ms since the epoch. */
  readonly at: number;
}

/** The log's head: the last sequence handed out, and the last one trimming may have removed (0: none). */
export interface SearchLogHead {
  readonly sequence: number;
  readonly trimmedThrough: number;
}

const headOf = (item: Item | undefined): SearchLogHead => ({ sequence: Number(item?.sequence ?? 0), trimmedThrough: Number(item?.trimmedThrough ?? 0) });

const changeOf = (item: Item): SearchChange => ({
  sequence: Number(item.sequence),
  name: String(item.name),
  ...(typeof item.document === 'string' ? { document: JSON.parse(item.document) as SearchDocument } : {}),
  at: Number(item.at),
});

/** The attributes of a model's items searchDocumentOf reads (functions/search/search-document.ts). */
const SCANNED_ATTRIBUTES = [
  TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey,
  'name', 'title', 'description', 'keywords', 'authors', 'discipline', 'task', 'license', 'type', 'owner', 'visibility',
  'createdAt', 'updatedAt', 'latestVersion', 'state', 'version', 'status', 'manifest', 'publication', 'user', 'downloads', 'predictions',
] as const;

/** The parallel segments a rebuild scans the table in. */
const SCAN_SEGMENTS = 4;
const BATCH_WRITE_SIZE = 25;

/** The change log on the table (see SEARCH_LOG_PARTITION), and reading the models it is about. */
export class SearchChangeLog {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  private key(sortKey: string) {
    return { [TABLE_DESIGN.partitionKey]: SEARCH_LOG_PARTITION, [TABLE_DESIGN.sortKey]: sortKey };
  }

  /** The model's document now (one strongly consistent Query of its collection), or undefined when it is not searchable. */
  async readModel(name: string): Promise<SearchDocument | undefined> {
    const items: Item[] = [];
    for await (const item of partitionItems(this.client, this.tableName, modelPartition(name))) items.push(item);
    return searchDocumentOf(items);
  }

  /**
   * Appends the model's state to the log: takes the next sequence (UpdateItem ADD on the head),
   * then reads the model's collection, then writes the entry (PutItem). Safe to call for any
   * name, any number of times.
   */
  async record(name: string): Promise<SearchChange> {
    const taken = await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: this.key(HEAD_SORT_KEY),
      UpdateExpression: 'ADD #sequence :one',
      ExpressionAttributeNames: { '#sequence': 'sequence' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }));
    const sequence = Number(taken.Attributes?.sequence);
    const document = await this.readModel(name);
    const change: SearchChange = { sequence, name, ...(document ? { document } : {}), at: Date.now() };
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...this.key(entrySortKey(sequence)), kind: 'search-change', sequence, name, at: change.at, ...(document ? { document: JSON.stringify(document) } : {}) },
    }));
    return change;
  }

  async head(): Promise<SearchLogHead> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(HEAD_SORT_KEY), ConsistentRead: true }));
    return headOf(result.Item);
  }

  /**
   * The entries after `sequence`, in order, and the head, from one strongly consistent Query (the
   * head sorts after every entry, so it comes with them), page after page.
   */
  async changesAfter(sequence: number): Promise<{ readonly changes: readonly SearchChange[]; readonly head: SearchLogHead }> {
    const changes: SearchChange[] = [];
    let head: SearchLogHead = { sequence: 0, trimmedThrough: 0 };
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk > :after',
        ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, '#sk': TABLE_DESIGN.sortKey },
        ExpressionAttributeValues: { ':pk': SEARCH_LOG_PARTITION, ':after': entrySortKey(sequence) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) {
        if (item[TABLE_DESIGN.sortKey] === HEAD_SORT_KEY) head = headOf(item);
        else changes.push(changeOf(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { changes, head };
  }

  /**
   * Removes the entries up to `sequence` (a snapshot covers them), after moving the head's
   * `trimmedThrough` there, so that a reader whose mark is below it knows it cannot catch up
   * from the log. Returns how many entries went.
   */
  async trimThrough(sequence: number): Promise<number> {
    if (sequence <= 0) return 0;
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: this.key(HEAD_SORT_KEY),
      UpdateExpression: 'SET #trimmed = :sequence',
      ConditionExpression: 'attribute_not_exists(#trimmed) OR #trimmed < :sequence',
      ExpressionAttributeNames: { '#trimmed': 'trimmedThrough' },
      ExpressionAttributeValues: { ':sequence': sequence },
    })).catch((error: unknown) => {
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    });
    const keys: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, '#sk': TABLE_DESIGN.sortKey },
        ExpressionAttributeValues: { ':pk': SEARCH_LOG_PARTITION, ':first': entrySortKey(0), ':last': entrySortKey(sequence) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }));
      keys.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    await untilProcessed(keys.map((Key) => ({ DeleteRequest: { Key } })), BATCH_WRITE_SIZE, async (batch) => {
      const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
      return (result.UnprocessedItems?.[this.tableName] ?? []) as Item[];
    });
    return keys.length;
  }

  /**
   * Every searchable model's document, from a strongly consistent Scan of the model collections
   * in parallel segments, with the log's sequence read before the scan began: every write whose
   * entry has a number up to it is in what the scan read, so a reader resumes the log after it.
   */
  async scanModels(): Promise<{ readonly documents: readonly SearchDocument[]; readonly sequence: number }> {
    const { sequence } = await this.head();
    const collections = new Map<string, Item[]>();
    await Promise.all(Array.from({ length: SCAN_SEGMENTS }, async (_unused, segment) => {
      let startKey: Item | undefined;
      do {
        const page = await this.client.send(new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: SCAN_SEGMENTS,
          FilterExpression: 'begins_with(#pk, :models)',
          // What searchDocumentOf reads, and not the rest (a version's manifest, an upload session's parts): the scan holds every model at once.
          ProjectionExpression: SCANNED_ATTRIBUTES.map((_attribute, i) => `#a${i}`).join(', '),
          ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, ...Object.fromEntries(SCANNED_ATTRIBUTES.map((attribute, i) => [`#a${i}`, attribute])) },
          ExpressionAttributeValues: { ':models': modelPartition('') },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }));
        for (const item of page.Items ?? []) {
          const partition = String(item[TABLE_DESIGN.partitionKey]);
          const collection = collections.get(partition);
          if (collection) collection.push(item);
          else collections.set(partition, [item]);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }));
    const documents = [...collections.values()].flatMap((items) => searchDocumentOf(items) ?? []);
    return { documents, sequence };
  }
}

/**
 * Puts the model's current state in the search change log before the caller answers: the seam
 * the registry's writes that change who may see a model call (functions/registry/dynamo-model-store.ts),
 * so that such a change reaches every search before its request answers (issue 13).
 */
export function recordSearchChange(client: DynamoDBDocumentClient, tableName: string, name: string): Promise<SearchChange> {
  return new SearchChangeLog(client, tableName).record(name);
}
