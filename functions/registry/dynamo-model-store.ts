import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  DeleteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { GrantRole } from '../access/access-policy';
import type { Grant } from '../access/access-settings';
import { AppError, conflict, notFound } from '../errors/app-error';
import { conditionally, isConditionFailure, partitionItems, stripKeys, untilProcessed, type Item } from '../store/dynamo-items';
import { TABLE_DESIGN, type IndexDesign } from '../store/table-design';
import type { VersionRecord } from '../versions/version-records';
import type { ModelFields } from './model-fields';
import type { ModelRecord, ModelWithVersions, ModelWithdrawal, Visibility } from './model-records';
import type { CommitOutcome, ExpectedRevision, ListingPage, ListingQuery, ModelStore } from './model-store';
import { SCHOLARLY_KEYS } from '../contracts/scholarly-metadata';
import { recordSearchChange } from '../search/search-change-log';
import {
  GRANT_SORT_PREFIX,
  META_SORT_KEY,
  PUBLIC_PARTITION,
  USAGE_SORT_KEY,
  VERSION_SORT_PREFIX,
  listingSortKey,
  modelPartition,
  grantSortKey,
  UPLOAD_SORT_PREFIX,
  ownerPartition,
  sharedPartition,
  DELETING_PARTITION,
} from './table-keys';

const { byOwner, publicModels } = TABLE_DESIGN.indexes;
const BATCH_WRITE_SIZE = 25;
const BATCH_GET_SIZE = 100;

/** A withdrawn version's DOI still resolves: it stays on its model's page, as withdrawn. */
const isWithdrawnItem = (item: Item): boolean => (item.publication as { state?: unknown } | undefined)?.state === 'withdrawn';

/** Versions that ended without ever being, or no longer being, part of the model: kept as tombstones only (withdrawn ones excepted). */
const HIDDEN_VERSION_STATUSES = new Set(['aborted', 'deleted']);

/**
 * `meta` is the client's own JSON object, any keys at all, so it is stored as its JSON text. As a
 * DynamoDB map it would go through the SDK's marshaller, which tells a value's type by its
 * `constructor.name`: a key named `constructor` turned `{"constructor": {"name": "String"}}` into
 * the string "[object Object]" or failed the write, and a `__proto__` key was lost on the way
 * back. Records written before keep their map, and read as before.
 */
const storedMeta = (meta: Record<string, unknown>): string => JSON.stringify(meta);

/** A model record from its item: keys stripped, `meta` read back from its JSON text. */
function modelRecordOf(item: Item): ModelRecord {
  const record = stripKeys<ModelRecord>(item);
  const meta: unknown = record.meta;
  return typeof meta === 'string' ? { ...record, meta: JSON.parse(meta) as Record<string, unknown> } : record;
}

/** A model's META item as the table holds it: its keys, its owner and (when public) listing index keys, and its record. */
export function modelItem(model: ModelRecord): Item {
  const sortKey = listingSortKey(model.createdAt, model.name);
  return {
    [TABLE_DESIGN.partitionKey]: modelPartition(model.name),
    [TABLE_DESIGN.sortKey]: META_SORT_KEY,
    kind: 'model',
    [byOwner.partitionKey]: ownerPartition(model.owner),
    [byOwner.sortKey]: sortKey,
    ...(model.visibility === 'public' ? publicKeys(model) : {}),
    ...model,
    meta: storedMeta(model.meta),
  };
}

const metaKey = (name: string) => ({ [TABLE_DESIGN.partitionKey]: modelPartition(name), [TABLE_DESIGN.sortKey]: META_SORT_KEY });
const grantKey = (name: string, user: string) => ({
  [TABLE_DESIGN.partitionKey]: modelPartition(name),
  [TABLE_DESIGN.sortKey]: grantSortKey(user),
});

const publicKeys = (model: Pick<ModelRecord, 'createdAt' | 'name'>) => ({
  [publicModels.partitionKey]: PUBLIC_PARTITION,
  [publicModels.sortKey]: listingSortKey(model.createdAt, model.name),
});

const UPDATABLE_FIELDS: readonly (keyof ModelFields)[] = ['type', 'meta', 'description', 'reference', 'discipline', ...SCHOLARLY_KEYS];

/** ModelStore on one DynamoDB table, through the document client. */
export class DynamoModelStore implements ModelStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The one seam between the registry's writes and search: every write here that changes a
   * model's record or who may see it (its creation, an update, a grant given or removed, its
   * visibility, its delete or withdrawal) puts the model's new state in the search change log
   * before it returns, so the change reaches every search before the request that made it
   * answers (issue 13: "seen by the next search"). Other changes (a version made ready or
   * published, usage counters) reach the log through the table's stream
   * (functions/handlers/index-models.ts), within a second or two.
   */
  private async searchChanged(name: string): Promise<void> {
    await recordSearchChange(this.client, this.tableName, name);
  }

  recordSearchState(name: string): Promise<void> {
    return this.searchChanged(name);
  }

  /**
   * A name whose model was deleted keeps a tombstone with its version counter: the new model
   * takes the name over and goes on counting from there, so no version number is ever reused.
   */
  async createModel(model: ModelRecord): Promise<void> {
    const taken = () => conflict('model_exists', `The model name '${model.name}' is already taken`);
    const fresh = await conditionally(() => this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: modelItem(model),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    })));
    if (fresh) {
      await this.searchChanged(model.name);
      return;
    }
    const tombstone = await this.getModelRecord(model.name);
    if (tombstone?.state === 'deleting') throw conflict('model_exists', `The model name '${model.name}' is still being deleted; it may be free once that ends (within a minute or two)`);
    if (tombstone?.state === 'withdrawn') throw conflict('model_exists', `The model name '${model.name}' belonged to a model that was published and withdrawn: its DOIs resolve to it, so the name stays reserved`);
    if (tombstone?.state !== 'deleted') throw taken();
    const counter = tombstone.versionCounter ?? 0;
    const revived = await conditionally(() => this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: modelItem({ ...model, versionCounter: counter }),
      ConditionExpression: '#state = :deleted AND #counter = :counter',
      ExpressionAttributeNames: { '#state': 'state', '#counter': 'versionCounter' },
      ExpressionAttributeValues: { ':deleted': 'deleted', ':counter': counter },
    })));
    if (!revived) throw taken();
    await this.searchChanged(model.name);
  }

  async getModel(name: string): Promise<ModelWithVersions | undefined> {
    let model: ModelRecord | undefined;
    const versions: VersionRecord[] = [];
    const grants: Grant[] = [];
    for await (const item of partitionItems(this.client, this.tableName, modelPartition(name))) {
      const sortKey = String(item[TABLE_DESIGN.sortKey]);
      if (sortKey === META_SORT_KEY) model = modelRecordOf(item);
      else if (sortKey.startsWith(VERSION_SORT_PREFIX) && (!HIDDEN_VERSION_STATUSES.has(String(item.status)) || isWithdrawnItem(item))) versions.push(stripKeys<VersionRecord>(item));
      else if (sortKey.startsWith(GRANT_SORT_PREFIX)) grants.push(stripKeys<Grant>(item));
    }
    return model && model.state !== 'deleted' ? { model, versions, grants } : undefined;
  }

  async getModelRecord(name: string): Promise<ModelRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: metaKey(name), ConsistentRead: true }));
    return result.Item ? modelRecordOf(result.Item) : undefined;
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
    await this.searchChanged(name);
  }

  async deleteGrant(name: string, user: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: grantKey(name, user) }));
    await this.searchChanged(name);
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
      await this.searchChanged(name);
      return modelRecordOf(result.Attributes ?? {});
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
      values[`:${field}`] = field === 'meta' ? storedMeta(fields.meta ?? {}) : fields[field];
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
      await this.searchChanged(name);
      return modelRecordOf(result.Attributes ?? {});
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

  async beginDelete(name: string, now: string, expected: ExpectedRevision = 'any', reason?: string, withdrawal?: ModelWithdrawal): Promise<ModelRecord | undefined> {
    const revisions = expected === 'any' ? {} : Object.fromEntries(expected.map((revision, i) => [`:rev${i}`, revision]));
    try {
      const result = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: metaKey(name),
        // Out of every listing, and into the index of deletes under way, ordered by when each began.
        // The revision moves on, so that of two deletes conditional on the same ETag only one begins.
        UpdateExpression: `SET #state = :deleting, #gpk = :deletingPartition, #gsk = :sortKey, #since = if_not_exists(#since, :now), #revision = #revision + :one${reason === undefined ? '' : ', #deletionReason = :reason'}${withdrawal === undefined ? '' : ', #withdrawal = if_not_exists(#withdrawal, :withdrawal)'} REMOVE ${[publicModels.partitionKey, publicModels.sortKey].join(', ')}`,
        ConditionExpression: `attribute_exists(#pk) AND #state <> :deleted${expected === 'any' ? '' : ` AND #revision IN (${Object.keys(revisions).join(', ') || ':none'})`}`,
        ExpressionAttributeNames: {
          '#pk': TABLE_DESIGN.partitionKey, '#state': 'state', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey, '#since': 'deletingSince', '#revision': 'revision',
          ...(reason === undefined ? {} : { '#deletionReason': 'deletionReason' }),
          ...(withdrawal === undefined ? {} : { '#withdrawal': 'withdrawal' }),
        },
        ExpressionAttributeValues: {
          ':deleting': 'deleting', ':deleted': 'deleted', ':deletingPartition': DELETING_PARTITION, ':sortKey': `${now}#${name}`, ':now': now, ':one': 1,
          ...(reason === undefined ? {} : { ':reason': reason }),
          ...(withdrawal === undefined ? {} : { ':withdrawal': withdrawal }),
          ...revisions, ...(expected !== 'any' && expected.length === 0 ? { ':none': -1 } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }));
      await this.searchChanged(name);
      return modelRecordOf(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async markWithdrawing(name: string, withdrawal: ModelWithdrawal): Promise<void> {
    await conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: metaKey(name),
      UpdateExpression: 'SET #withdrawal = :withdrawal',
      ConditionExpression: '#state = :deleting AND attribute_not_exists(#withdrawal)',
      ExpressionAttributeNames: { '#state': 'state', '#withdrawal': 'withdrawal' },
      ExpressionAttributeValues: { ':deleting': 'deleting', ':withdrawal': withdrawal },
    })));
  }

  async endModel(name: string, now: string, withdrawal?: ModelWithdrawal): Promise<void> {
    const keys: Item[] = [];
    for await (const key of partitionItems(this.client, this.tableName, modelPartition(name), { keysOnly: true })) keys.push(key);
    // Grants, sessions and usage counters go; versions stay as the removal left them (tombstones); the record goes last.
    const children = keys.filter((key) => {
      const sortKey = String(key[TABLE_DESIGN.sortKey]);
      return sortKey.startsWith(GRANT_SORT_PREFIX) || sortKey.startsWith(UPLOAD_SORT_PREFIX) || sortKey === USAGE_SORT_KEY;
    });
    await this.batchDelete(children);
    const record = await this.getModelRecord(name);
    if (!record || record.state !== 'deleting') return;
    if (withdrawal) {
      // Its DOIs resolve here for ever: the record stays, out of every index, and keeps the name.
      await conditionally(() => this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: metaKey(name),
        UpdateExpression: 'SET #state = :withdrawn, #withdrawal = :withdrawal REMOVE #since, #gpk, #gsk',
        ConditionExpression: '#state = :deleting',
        ExpressionAttributeNames: { '#state': 'state', '#withdrawal': 'withdrawal', '#since': 'deletingSince', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey },
        ExpressionAttributeValues: { ':withdrawn': 'withdrawn', ':withdrawal': withdrawal, ':deleting': 'deleting' },
      })));
      await this.searchChanged(name);
      return;
    }
    await conditionally(() => this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...metaKey(name), kind: 'model', name, state: 'deleted', versionCounter: record.versionCounter ?? 0, deletedAt: now },
      ConditionExpression: '#state = :deleting',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':deleting': 'deleting' },
    })));
    await this.searchChanged(name);
  }

  async retractLatestVersion(name: string, version: number, replacement: number | undefined, now: string): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: metaKey(name),
      UpdateExpression: replacement === undefined ? 'SET #updatedAt = :now REMOVE #latest' : 'SET #latest = :replacement, #updatedAt = :now',
      ConditionExpression: '#latest = :version',
      ExpressionAttributeNames: { '#latest': 'latestVersion', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':version': version, ':now': now, ...(replacement === undefined ? {} : { ':replacement': replacement }) },
    })));
  }

  private async batchDelete(keys: Item[]): Promise<void> {
    await untilProcessed(keys.map((Key) => ({ DeleteRequest: { Key } })), BATCH_WRITE_SIZE, async (batch) => {
      const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
      return (result.UnprocessedItems?.[this.tableName] ?? []) as Item[];
    });
  }

  async listDeleting(limit: number): Promise<ModelRecord[]> {
    const { items } = await this.queryIndex(byOwner, DELETING_PARTITION, { limit });
    return items.map((item) => modelRecordOf(item));
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
    return { rows: items.map((item) => ({ model: modelRecordOf(item), sortKey: String(item[index.sortKey]) })), more };
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
        const record = modelRecordOf(item);
        found.set(record.name, record);
      }
      return (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Item[];
    });
    return found;
  }

  async ping(): Promise<void> {
    await this.client.send(new GetCommand({ TableName: this.tableName, Key: metaKey('.health') }));
  }
}
