import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError, conflict, notFound } from '../errors/app-error';
import { TABLE_DESIGN } from '../store/table-design';
import type { ModelFields } from './model-fields';
import type { ModelRecord, ModelWithVersions, VersionRecord, VersionStatus } from './model-records';
import type { CommitOutcome, ExpectedRevision, ListingPage, ListingQuery, ModelStore } from './model-store';
import {
  META_SORT_KEY,
  PUBLIC_PARTITION,
  VERSION_SORT_PREFIX,
  listingSortKey,
  modelPartition,
  ownerPartition,
  versionSortKey,
} from './table-keys';

type Item = Record<string, unknown>;

const { byOwner, publicModels } = TABLE_DESIGN.indexes;
const KEY_ATTRIBUTES = [TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey, byOwner.partitionKey, byOwner.sortKey, publicModels.partitionKey, publicModels.sortKey, 'kind'];
const BATCH_WRITE_SIZE = 25;

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

function stripKeys<T>(item: Item): T {
  const record: Item = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete record[attribute];
  return record as T;
}

function modelItem(model: ModelRecord): Item {
  const sortKey = listingSortKey(model.createdAt, model.name);
  return {
    [TABLE_DESIGN.partitionKey]: modelPartition(model.name),
    [TABLE_DESIGN.sortKey]: META_SORT_KEY,
    kind: 'model',
    [byOwner.partitionKey]: ownerPartition(model.owner),
    [byOwner.sortKey]: sortKey,
    ...(model.visibility === 'public' ? { [publicModels.partitionKey]: PUBLIC_PARTITION, [publicModels.sortKey]: sortKey } : {}),
    ...model,
  };
}

const metaKey = (name: string) => ({ [TABLE_DESIGN.partitionKey]: modelPartition(name), [TABLE_DESIGN.sortKey]: META_SORT_KEY });
const versionKey = (name: string, version: number) => ({
  [TABLE_DESIGN.partitionKey]: modelPartition(name),
  [TABLE_DESIGN.sortKey]: versionSortKey(version),
});

const UPDATABLE_FIELDS: readonly (keyof ModelFields)[] = ['type', 'meta', 'description', 'reference', 'discipline'];

/** ModelStore on one DynamoDB table, through the document client. */
export class DynamoModelStore implements ModelStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createModel(model: ModelRecord): Promise<void> {
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: modelItem(model),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
      }));
    } catch (error) {
      if (isConditionFailure(error)) throw conflict('model_exists', `Model '${model.name}' already exists`);
      throw error;
    }
  }

  async getModel(name: string): Promise<ModelWithVersions | undefined> {
    let model: ModelRecord | undefined;
    const versions: VersionRecord[] = [];
    for await (const item of this.partitionItems(name)) {
      const sortKey = String(item[TABLE_DESIGN.sortKey]);
      if (sortKey === META_SORT_KEY) model = stripKeys<ModelRecord>(item);
      else if (sortKey.startsWith(VERSION_SORT_PREFIX)) versions.push(stripKeys<VersionRecord>(item));
    }
    return model ? { model, versions } : undefined;
  }

  async getModelRecord(name: string): Promise<ModelRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: metaKey(name), ConsistentRead: true }));
    return result.Item ? stripKeys<ModelRecord>(result.Item) : undefined;
  }

  async updateModel(name: string, fields: ModelFields, expected: ExpectedRevision, now: string): Promise<ModelRecord> {
    const names: Record<string, string> = { '#pk': TABLE_DESIGN.partitionKey, '#state': 'state', '#revision': 'revision', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':active': 'active', ':one': 1, ':now': now };
    const assignments = ['#revision = #revision + :one', '#updatedAt = :now'];
    for (const field of UPDATABLE_FIELDS) {
      if (fields[field] === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = fields[field];
      assignments.push(`#${field} = :${field}`);
    }
    let condition = 'attribute_exists(#pk) AND #state = :active';
    if (expected !== 'any') {
      const placeholders = expected.map((revision, i) => {
        values[`:rev${i}`] = revision;
        return `:rev${i}`;
      });
      condition += ` AND #revision IN (${placeholders.join(', ')})`;
    }
    try {
      const result = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: metaKey(name),
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }));
      return stripKeys<ModelRecord>(result.Attributes ?? {});
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.getModelRecord(name);
      if (!current || current.state !== 'active') throw notFound('model_not_found', `Model '${name}' does not exist`);
      throw new AppError('stale', 'revision_mismatch',
        `Model '${name}' has changed since you read it (now at ETag "${current.revision}"); fetch it again and retry`);
    }
  }

  async allocateVersion(name: string): Promise<number> {
    try {
      const result = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: metaKey(name),
        UpdateExpression: 'SET #counter = if_not_exists(#counter, :zero) + :one',
        ConditionExpression: 'attribute_exists(#pk) AND #state = :active',
        ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, '#counter': 'versionCounter', '#state': 'state' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':active': 'active' },
        ReturnValues: 'UPDATED_NEW',
      }));
      return Number(result.Attributes?.versionCounter);
    } catch (error) {
      if (isConditionFailure(error)) throw notFound('model_not_found', `Model '${name}' does not exist`);
      throw error;
    }
  }

  async putVersion(version: VersionRecord): Promise<void> {
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...versionKey(version.name, version.version), kind: 'version', ...version },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    }));
  }

  async setVersionStatus(name: string, version: number, from: VersionStatus, to: VersionStatus): Promise<void> {
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      UpdateExpression: 'SET #status = :to',
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':from': from, ':to': to },
    }));
  }

  async getVersion(name: string, version: number): Promise<VersionRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: versionKey(name, version), ConsistentRead: true }));
    return result.Item ? stripKeys<VersionRecord>(result.Item) : undefined;
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: versionKey(name, version) }));
  }

  async commitLatestVersion(name: string, version: number, now: string): Promise<CommitOutcome> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: metaKey(name),
        UpdateExpression: 'SET #latest = :version, #updatedAt = :now',
        ConditionExpression: 'attribute_exists(#pk) AND #state = :active AND (attribute_not_exists(#latest) OR #latest < :version)',
        ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, '#latest': 'latestVersion', '#state': 'state', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':version': version, ':active': 'active', ':now': now },
      }));
      return 'committed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.getModelRecord(name);
      return current && current.state === 'active' ? 'superseded' : 'model_gone';
    }
  }

  async beginDelete(name: string): Promise<ModelRecord | undefined> {
    try {
      const result = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: metaKey(name),
        UpdateExpression: `SET #state = :deleting REMOVE ${[byOwner.partitionKey, byOwner.sortKey, publicModels.partitionKey, publicModels.sortKey].join(', ')}`,
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, '#state': 'state' },
        ExpressionAttributeValues: { ':deleting': 'deleting' },
        ReturnValues: 'ALL_NEW',
      }));
      return stripKeys<ModelRecord>(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async deleteModelItems(name: string): Promise<number> {
    const keys: Item[] = [];
    for await (const key of this.partitionItems(name, { keysOnly: true })) keys.push(key);

    // The record goes last, so an interrupted delete can be retried and still finds the model.
    const children = keys.filter((key) => key[TABLE_DESIGN.sortKey] !== META_SORT_KEY);
    for (let i = 0; i < children.length; i += BATCH_WRITE_SIZE) {
      await this.batchDelete(children.slice(i, i + BATCH_WRITE_SIZE));
    }
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: metaKey(name) }));
    return children.filter((key) => String(key[TABLE_DESIGN.sortKey]).startsWith(VERSION_SORT_PREFIX)).length;
  }

  private async batchDelete(keys: Item[]): Promise<void> {
    let pending: Item[] = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      if (attempt > 8) throw new Error(`DynamoDB left ${pending.length} deletes unprocessed`);
      const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = (result.UnprocessedItems?.[this.tableName] ?? []) as Item[];
    }
  }

  listByOwner(owner: string, query: ListingQuery): Promise<ListingPage> {
    return this.queryListing(byOwner, ownerPartition(owner), query);
  }

  listPublic(query: ListingQuery): Promise<ListingPage> {
    return this.queryListing(publicModels, PUBLIC_PARTITION, query);
  }

  private async queryListing(index: { indexName: string; partitionKey: string; sortKey: string }, partition: string, query: ListingQuery): Promise<ListingPage> {
    const below = query.before !== undefined;
    const result = await this.client.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: index.indexName,
      KeyConditionExpression: below ? '#pk = :pk AND #sk < :before' : '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey, ...(below ? { '#sk': index.sortKey } : {}) },
      ExpressionAttributeValues: { ':pk': partition, ...(below ? { ':before': query.before } : {}) },
      ScanIndexForward: false,
      Limit: query.limit,
    }));
    const rows = (result.Items ?? []).map((item) => ({ model: stripKeys<ModelRecord>(item), sortKey: String(item[index.sortKey]) }));
    return { rows, more: result.LastEvaluatedKey !== undefined };
  }

  /** Every item of a model's partition, page after page, read consistently. */
  private async *partitionItems(name: string, options: { keysOnly?: boolean } = {}): AsyncGenerator<Item> {
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ...(options.keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
        ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey, ...(options.keysOnly ? { '#sk': TABLE_DESIGN.sortKey } : {}) },
        ExpressionAttributeValues: { ':pk': modelPartition(name) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }));
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async ping(): Promise<void> {
    await this.client.send(new GetCommand({ TableName: this.tableName, Key: metaKey('.health') }));
  }
}
