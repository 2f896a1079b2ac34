import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { GrantRole } from '../access/access-policy';
import type { Grant } from '../access/access-settings';
import { AppError, conflict, notFound } from '../errors/app-error';
import { TABLE_DESIGN, type IndexDesign } from '../store/table-design';
import type { ModelFields } from './model-fields';
import type { SessionState, UploadSession } from '../uploads/upload-records';
import type { ModelRecord, ModelWithVersions, Visibility, VersionOutcome, VersionRecord, VersionStatus } from './model-records';
import type { CommitOutcome, ExpectedRevision, ListingPage, ListingQuery, ModelStore } from './model-store';
import {
  GRANT_SORT_PREFIX,
  META_SORT_KEY,
  PUBLIC_PARTITION,
  VERSION_SORT_PREFIX,
  listingSortKey,
  modelPartition,
  grantSortKey,
  UPLOAD_SORT_PREFIX,
  uploadSortKey,
  ownerPartition,
  sharedPartition,
  versionSortKey,
} from './table-keys';

type Item = Record<string, unknown>;

const { byOwner, publicModels } = TABLE_DESIGN.indexes;
const KEY_ATTRIBUTES = [TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey, byOwner.partitionKey, byOwner.sortKey, publicModels.partitionKey, publicModels.sortKey, 'kind', 'modelName', 'finalizeUntil', 'finalizer'];
const BATCH_WRITE_SIZE = 25;
const BATCH_GET_SIZE = 100;

/**
 * Runs batch requests until DynamoDB has processed every element, backing off while it hands
 * some back unprocessed (as it does under throttling).
 */
async function untilProcessed(elements: Item[], batchSize: number, send: (batch: Item[]) => Promise<Item[]>): Promise<void> {
  for (let i = 0; i < elements.length; i += batchSize) {
    let pending = elements.slice(i, i + batchSize);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error(`DynamoDB left ${pending.length} requests unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      pending = await send(pending);
    }
  }
}

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
    ...(model.visibility === 'public' ? publicKeys(model) : {}),
    ...model,
  };
}

const metaKey = (name: string) => ({ [TABLE_DESIGN.partitionKey]: modelPartition(name), [TABLE_DESIGN.sortKey]: META_SORT_KEY });
const versionKey = (name: string, version: number) => ({
  [TABLE_DESIGN.partitionKey]: modelPartition(name),
  [TABLE_DESIGN.sortKey]: versionSortKey(version),
});

const grantKey = (name: string, user: string) => ({
  [TABLE_DESIGN.partitionKey]: modelPartition(name),
  [TABLE_DESIGN.sortKey]: grantSortKey(user),
});

const publicKeys = (model: Pick<ModelRecord, 'createdAt' | 'name'>) => ({
  [publicModels.partitionKey]: PUBLIC_PARTITION,
  [publicModels.sortKey]: listingSortKey(model.createdAt, model.name),
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
      if (isConditionFailure(error)) throw conflict('model_exists', `The model name '${model.name}' is already taken`);
      throw error;
    }
  }

  async getModel(name: string): Promise<ModelWithVersions | undefined> {
    let model: ModelRecord | undefined;
    const versions: VersionRecord[] = [];
    const grants: Grant[] = [];
    for await (const item of this.partitionItems(name)) {
      const sortKey = String(item[TABLE_DESIGN.sortKey]);
      if (sortKey === META_SORT_KEY) model = stripKeys<ModelRecord>(item);
      else if (sortKey.startsWith(VERSION_SORT_PREFIX)) versions.push(stripKeys<VersionRecord>(item));
      else if (sortKey.startsWith(GRANT_SORT_PREFIX)) grants.push(stripKeys<Grant>(item));
    }
    return model ? { model, versions, grants } : undefined;
  }

  async getModelRecord(name: string): Promise<ModelRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: metaKey(name), ConsistentRead: true }));
    return result.Item ? stripKeys<ModelRecord>(result.Item) : undefined;
  }

  async getModelAccess(name: string, user: string): Promise<{ model?: ModelRecord; grant?: GrantRole }> {
    const [model, grant] = await Promise.all([
      this.getModelRecord(name),
      user === '' ? Promise.resolve(undefined) : this.client.send(new GetCommand({ TableName: this.tableName, Key: grantKey(name, user), ConsistentRead: true })).then((result) => result.Item?.role as GrantRole | undefined),
    ]);
    return { ...(model ? { model } : {}), ...(grant ? { grant } : {}) };
  }

  async putGrant(name: string, grant: Grant, modelCreatedAt: string): Promise<void> {
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        ...grantKey(name, grant.user),
        kind: 'grant',
        [byOwner.partitionKey]: sharedPartition(grant.user),
        [byOwner.sortKey]: listingSortKey(modelCreatedAt, name),
        modelName: name,
        ...grant,
      },
    }));
  }

  async deleteGrant(name: string, user: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: grantKey(name, user) }));
  }

  async setVisibility(name: string, visibility: Visibility, now: string): Promise<ModelRecord> {
    const current = await this.getModelRecord(name);
    if (!current || current.state !== 'active') throw notFound('model_not_found', `Model '${name}' does not exist`);
    const keys = publicKeys(current);
    const names: Record<string, string> = { '#pk': TABLE_DESIGN.partitionKey, '#state': 'state', '#visibility': 'visibility', '#updatedAt': 'updatedAt', '#gpk': publicModels.partitionKey, '#gsk': publicModels.sortKey };
    const values: Record<string, unknown> = { ':active': 'active', ':visibility': visibility, ':now': now };
    let update = 'SET #visibility = :visibility, #updatedAt = :now';
    if (visibility === 'public') {
      values[':gpk'] = keys[publicModels.partitionKey];
      values[':gsk'] = keys[publicModels.sortKey];
      update += ', #gpk = :gpk, #gsk = :gsk';
    } else {
      update += ' REMOVE #gpk, #gsk';
    }
    try {
      const result = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: metaKey(name),
        UpdateExpression: update,
        ConditionExpression: 'attribute_exists(#pk) AND #state = :active',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }));
      return stripKeys<ModelRecord>(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) throw notFound('model_not_found', `Model '${name}' does not exist`);
      throw error;
    }
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

  async resolvePendingVersion(name: string, version: number, outcome: VersionOutcome): Promise<boolean> {
    const fields: Record<string, unknown> = outcome.status === 'ready'
      ? { status: 'ready', sha256: outcome.sha256, size: outcome.size, manifest: outcome.manifest }
      : { status: 'rejected', reason: outcome.reason };
    const names: Record<string, string> = { '#status': 'status', '#claim': 'finalizeUntil' };
    const values: Record<string, unknown> = { ':pending': 'pending' };
    const assignments = Object.entries(fields).map(([field, value]) => {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      return `#${field} = :${field}`;
    });
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: versionKey(name, version),
        UpdateExpression: `SET ${assignments.join(', ')} REMOVE #claim`,
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async claimFinalization(name: string, version: number, claimant: string, until: string, now: string): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: versionKey(name, version),
        UpdateExpression: 'SET #claim = :until, #claimant = :claimant',
        ConditionExpression: '#status = :pending AND (attribute_not_exists(#claim) OR #claim < :now)',
        ExpressionAttributeNames: { '#status': 'status', '#claim': 'finalizeUntil', '#claimant': 'finalizer' },
        ExpressionAttributeValues: { ':pending': 'pending', ':until': until, ':claimant': claimant, ':now': now },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async putUploadSession(session: UploadSession): Promise<void> {
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { [TABLE_DESIGN.partitionKey]: modelPartition(session.name), [TABLE_DESIGN.sortKey]: uploadSortKey(session.id), kind: 'upload', ...session },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    }));
  }

  async getUploadSession(name: string, id: string): Promise<UploadSession | undefined> {
    const result = await this.client.send(new GetCommand({
      TableName: this.tableName,
      Key: { [TABLE_DESIGN.partitionKey]: modelPartition(name), [TABLE_DESIGN.sortKey]: uploadSortKey(id) },
      ConsistentRead: true,
    }));
    return result.Item ? stripKeys<UploadSession>(result.Item) : undefined;
  }

  async listUploadSessions(name: string): Promise<UploadSession[]> {
    const sessions: UploadSession[] = [];
    for await (const item of this.partitionItems(name)) {
      if (String(item[TABLE_DESIGN.sortKey]).startsWith(UPLOAD_SORT_PREFIX)) sessions.push(stripKeys<UploadSession>(item));
    }
    return sessions;
  }

  async setUploadSessionState(name: string, id: string, from: SessionState, to: SessionState): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { [TABLE_DESIGN.partitionKey]: modelPartition(name), [TABLE_DESIGN.sortKey]: uploadSortKey(id) },
        UpdateExpression: 'SET #state = :to',
        ConditionExpression: '#state = :from',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':from': from, ':to': to },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
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
    await this.batchDelete(children);
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: metaKey(name) }));
    return children.filter((key) => String(key[TABLE_DESIGN.sortKey]).startsWith(VERSION_SORT_PREFIX)).length;
  }

  private async batchDelete(keys: Item[]): Promise<void> {
    await untilProcessed(keys.map((Key) => ({ DeleteRequest: { Key } })), BATCH_WRITE_SIZE, async (batch) => {
      const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
      return (result.UnprocessedItems?.[this.tableName] ?? []) as Item[];
    });
  }

  listByOwner(owner: string, query: ListingQuery): Promise<ListingPage> {
    return this.listingPage(byOwner, ownerPartition(owner), query);
  }

  listPublic(query: ListingQuery): Promise<ListingPage> {
    return this.listingPage(publicModels, PUBLIC_PARTITION, query);
  }

  async listSharedWith(user: string, query: ListingQuery): Promise<ListingPage> {
    const { items, more } = await this.queryIndex(byOwner, sharedPartition(user), query);
    const records = await this.batchGetRecords(items.map((item) => String(item.modelName)));
    const rows = items.flatMap((item) => {
      const model = records.get(String(item.modelName));
      return model && model.state === 'active' ? [{ model, sortKey: String(item[byOwner.sortKey]) }] : [];
    });
    return { rows, more };
  }

  private async listingPage(index: IndexDesign, partition: string, query: ListingQuery): Promise<ListingPage> {
    const { items, more } = await this.queryIndex(index, partition, query);
    return { rows: items.map((item) => ({ model: stripKeys<ModelRecord>(item), sortKey: String(item[index.sortKey]) })), more };
  }

  /** One page of an index partition, newest first, strictly below the cursor's sort key. */
  private async queryIndex(index: IndexDesign, partition: string, query: ListingQuery): Promise<{ items: Item[]; more: boolean }> {
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
    return { items: result.Items ?? [], more: result.LastEvaluatedKey !== undefined };
  }

  private async batchGetRecords(names: readonly string[]): Promise<Map<string, ModelRecord>> {
    const found = new Map<string, ModelRecord>();
    await untilProcessed([...new Set(names)].map(metaKey), BATCH_GET_SIZE, async (keys) => {
      const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const record = stripKeys<ModelRecord>(item);
        found.set(record.name, record);
      }
      return (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Item[];
    });
    return found;
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
