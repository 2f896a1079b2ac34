import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, ownerIndexHead, ownerIndexPage, stateMove, stripKeys, type Item } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import type { DatasetOutcome, DatasetRecord, DatasetStatus, DatasetUpload } from './dataset-records';
import type { DatasetPage, DatasetStore } from './dataset-store';
import {
  DATASET_PENDING_SORT_KEY, DATASET_RECORD_SORT_KEY, PENDING_DATASETS_PARTITION, datasetListingSortKey, datasetPartition,
  ownerDatasetsPartition, pendingDatasetSortKey,
} from './dataset-table-keys';

const { byOwner } = TABLE_DESIGN.indexes;

const recordKey = (id: string) => ({ [TABLE_DESIGN.partitionKey]: datasetPartition(id), [TABLE_DESIGN.sortKey]: DATASET_RECORD_SORT_KEY });
const markKey = (id: string) => ({ [TABLE_DESIGN.partitionKey]: datasetPartition(id), [TABLE_DESIGN.sortKey]: DATASET_PENDING_SORT_KEY });

/** The fields an outcome writes onto the record. */
function outcomeFields(outcome: DatasetOutcome): Record<string, unknown> {
  if (outcome.status !== 'ready') return { status: outcome.status, reason: outcome.reason };
  const { status, sha256, format, compression, schema, rowCount, readsFrom, layoutKey, plainKey, pin } = outcome;
  return { status, sha256, format, compression, schema, rowCount, readsFrom, layoutKey, pin, ...(plainKey ? { plainKey } : {}) };
}

/** DatasetStore on MLHub's one table (dataset-table-keys.ts). */
export class DynamoDatasetStore implements DatasetStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(dataset: DatasetRecord): Promise<void> {
    // The mark goes first: a record without one could be left pending for ever; a mark without a record the sweep drops.
    if (dataset.status === 'pending') {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...markKey(dataset.id), kind: 'dataset-pending', id: dataset.id, expiresAt: dataset.upload.expiresAt, [byOwner.partitionKey]: PENDING_DATASETS_PARTITION, [byOwner.sortKey]: pendingDatasetSortKey(dataset.upload.expiresAt, dataset.id) },
      }));
    }
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...recordKey(dataset.id), kind: 'dataset', [byOwner.partitionKey]: ownerDatasetsPartition(dataset.owner), [byOwner.sortKey]: datasetListingSortKey(dataset.createdAt, dataset.id), ...dataset },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    }));
  }

  async get(id: string): Promise<DatasetRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: recordKey(id), ConsistentRead: true }));
    return result.Item ? stripKeys<DatasetRecord>(result.Item) : undefined;
  }

  async listByOwner(owner: string, query: { readonly limit: number; readonly before?: string }): Promise<DatasetPage> {
    const page = await ownerIndexPage(this.client, this.tableName, ownerDatasetsPartition(owner), query);
    return { datasets: page.items.map((item) => stripKeys<DatasetRecord>(item)), ...(page.last !== undefined ? { last: page.last } : {}) };
  }

  setUploadState(id: string, from: DatasetUpload['state'], to: DatasetUpload['state'], now: string): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: recordKey(id),
      UpdateExpression: 'SET #upload.#state = :to, #updatedAt = :now',
      ConditionExpression: '#upload.#state = :from',
      ExpressionAttributeNames: { '#upload': 'upload', '#state': 'state', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':from': from, ':to': to, ':now': now },
    })));
  }

  claim(id: string, claimant: string, until: string, now: string): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: recordKey(id),
      UpdateExpression: 'SET #claim = :until, #claimant = :claimant',
      // The holder may renew its own claim; anyone may take one that lapsed.
      ConditionExpression: '#status = :pending AND (attribute_not_exists(#claim) OR #claim < :now OR #claimant = :claimant)',
      ExpressionAttributeNames: { '#status': 'status', '#claim': 'finalizeUntil', '#claimant': 'finalizer' },
      ExpressionAttributeValues: { ':pending': 'pending', ':until': until, ':claimant': claimant, ':now': now },
    })));
  }

  async transition(id: string, from: readonly DatasetStatus[], outcome: DatasetOutcome, now: string, options: { readonly unclaimedAt?: string } = {}): Promise<boolean> {
    const names: Record<string, string> = { '#claim': 'finalizeUntil', '#claimant': 'finalizer', '#updatedAt': 'updatedAt' };
    const values: Item = { ':now': now };
    const move = stateMove(outcomeFields(outcome), from, names, values);
    let condition = move.condition;
    if (options.unclaimedAt !== undefined) {
      values[':unclaimedAt'] = options.unclaimedAt;
      condition += ' AND (attribute_not_exists(#claim) OR #claim < :unclaimedAt)';
    }
    const moved = await conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: recordKey(id),
      UpdateExpression: `SET ${move.assignments}, #updatedAt = :now REMOVE #claim, #claimant`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })));
    if (moved) await this.dropPendingMark(id);
    return moved;
  }

  async remove(id: string): Promise<DatasetRecord | undefined> {
    const result = await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: recordKey(id), ReturnValues: 'ALL_OLD' }));
    await this.dropPendingMark(id);
    return result.Attributes ? stripKeys<DatasetRecord>(result.Attributes) : undefined;
  }

  async listPending(limit: number): Promise<{ readonly id: string; readonly expiresAt: string }[]> {
    return (await ownerIndexHead(this.client, this.tableName, PENDING_DATASETS_PARTITION, limit)).map((item) => ({ id: String(item.id), expiresAt: String(item.expiresAt) }));
  }

  async dropPendingMark(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: markKey(id) }));
  }
}
