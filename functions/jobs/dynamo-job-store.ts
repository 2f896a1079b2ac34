import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, indexPartitionItems, ownerIndexPage, partitionItems, stripKeys, type Item } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import { FIRST_ERRORS_LIMIT, type ChunkOutcome, type JobRecord, type JobState, type RowError } from './job-records';
import type { JobOutcome, JobPage, JobStart, JobStore } from './job-store';
import {
  ACTIVE_JOBS_PARTITION, CHUNK_SORT_PREFIX, JOB_ACTIVE_SORT_KEY, JOB_RECORD_SORT_KEY, activeJobSortKey, chunkSortKey, jobListingSortKey, jobPartition, ownerJobsPartition,
} from './job-table-keys';

const { byOwner } = TABLE_DESIGN.indexes;
const PK = TABLE_DESIGN.partitionKey;
const SK = TABLE_DESIGN.sortKey;

const recordKey = (id: string) => ({ [PK]: jobPartition(id), [SK]: JOB_RECORD_SORT_KEY });
const markKey = (id: string) => ({ [PK]: jobPartition(id), [SK]: JOB_ACTIVE_SORT_KEY });

/** The number set of counted chunk indexes: coordination, not part of the record. */
const COUNTED = 'countedChunks';

function toRecord(item: Item): JobRecord {
  const record = stripKeys<Record<string, unknown>>(item);
  delete record[COUNTED];
  return record as unknown as JobRecord;
}

/** JobStore on MLHub's one table (job-table-keys.ts), with single-item conditional writes only (dynalite has no transactions). */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(job: JobRecord): Promise<void> {
    // The mark goes first: a record without one could never be resumed; a mark without a record is dropped by listActive's reader.
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...markKey(job.id), kind: 'job-active', id: job.id, [byOwner.partitionKey]: ACTIVE_JOBS_PARTITION, [byOwner.sortKey]: activeJobSortKey(job.createdAt, job.id) },
    }));
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...recordKey(job.id), kind: 'job', [byOwner.partitionKey]: ownerJobsPartition(job.owner), [byOwner.sortKey]: jobListingSortKey(job.createdAt, job.id), ...job },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    }));
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: recordKey(id), ConsistentRead: true }));
    return result.Item ? toRecord(result.Item) : undefined;
  }

  async listByOwner(owner: string, query: { readonly limit: number; readonly before?: string }): Promise<JobPage> {
    const page = await ownerIndexPage(this.client, this.tableName, ownerJobsPartition(owner), query);
    return { jobs: page.items.map(toRecord), ...(page.last ? { last: page.last } : {}) };
  }

  async listActive(limit: number): Promise<readonly string[]> {
    const ids: string[] = [];
    for await (const mark of indexPartitionItems(this.client, this.tableName, byOwner, ACTIVE_JOBS_PARTITION)) {
      if (ids.length >= limit) break;
      ids.push(String(mark.id));
    }
    return ids;
  }

  start(id: string, start: JobStart, now: string): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: recordKey(id),
      // A job started before (a plan run again after a restart) keeps its first start time.
      UpdateExpression: 'SET #state = :running, #rowsTotal = :rows, #chunksTotal = :chunks, #outputColumns = :columns, #startedAt = if_not_exists(#startedAt, :started), #updatedAt = :now',
      ConditionExpression: '#state IN (:queued, :running)',
      ExpressionAttributeNames: { '#state': 'state', '#rowsTotal': 'rowsTotal', '#chunksTotal': 'chunksTotal', '#outputColumns': 'outputColumns', '#startedAt': 'startedAt', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':rows': start.rowsTotal, ':chunks': start.chunksTotal, ':columns': start.outputColumns ?? null, ':started': start.startedAt, ':now': now },
    })));
  }

  async recordChunk(id: string, outcome: ChunkOutcome, now: string): Promise<boolean> {
    // The chunk's own item: its first completion is kept, a rerun's is dropped (same rows, same part key).
    await conditionally(() => this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { [PK]: jobPartition(id), [SK]: chunkSortKey(outcome.chunk), kind: 'job-chunk', ...outcome, recordedAt: now },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    })));
    const counted = await conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: recordKey(id),
      UpdateExpression: `ADD #rowsDone :rows, #rowsFailed :failed, #${outcome.gaveUp ? 'chunksFailed' : 'chunksDone'} :one, #counted :chunk SET #updatedAt = :now`,
      ConditionExpression: 'attribute_exists(#pk) AND #state = :running AND (attribute_not_exists(#counted) OR NOT contains(#counted, :index))',
      ExpressionAttributeNames: {
        '#pk': PK, '#state': 'state', '#rowsDone': 'rowsDone', '#rowsFailed': 'rowsFailed', '#counted': COUNTED, '#updatedAt': 'updatedAt',
        [`#${outcome.gaveUp ? 'chunksFailed' : 'chunksDone'}`]: outcome.gaveUp ? 'chunksFailed' : 'chunksDone',
      },
      ExpressionAttributeValues: { ':rows': outcome.rows, ':failed': outcome.failed, ':one': 1, ':chunk': new Set([outcome.chunk]), ':index': outcome.chunk, ':running': 'running', ':now': now },
    })));
    if (counted && outcome.errors.length > 0) {
      // While the job runs its record shows the errors met so far (FIRST_ERRORS_LIMIT, give or take
      // chunks racing); the finalizer sets the exact first ones, by row, from the chunk items.
      await conditionally(() => this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: recordKey(id),
        UpdateExpression: 'SET #errors = list_append(#errors, :errors)',
        ConditionExpression: 'size(#errors) < :limit',
        ExpressionAttributeNames: { '#errors': 'firstErrors' },
        ExpressionAttributeValues: { ':errors': outcome.errors.slice(0, FIRST_ERRORS_LIMIT), ':limit': FIRST_ERRORS_LIMIT },
      })));
    }
    return counted;
  }

  async countedChunks(id: string): Promise<readonly number[]> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: recordKey(id), ConsistentRead: true, ProjectionExpression: '#counted', ExpressionAttributeNames: { '#counted': COUNTED } }));
    const counted = result.Item?.[COUNTED] as Set<number> | undefined;
    return [...(counted ?? [])].map(Number).sort((a, b) => a - b);
  }

  async firstErrors(id: string, limit: number): Promise<readonly RowError[]> {
    const errors: RowError[] = [];
    for await (const item of partitionItems(this.client, this.tableName, jobPartition(id))) {
      if (!String(item[SK]).startsWith(CHUNK_SORT_PREFIX)) continue;
      errors.push(...((item.errors as RowError[] | undefined) ?? []));
    }
    // Chunks are in row order, and each chunk's errors too: sorting only guards a reader's assumption.
    return errors.sort((a, b) => a.row - b.row).slice(0, limit);
  }

  async finish(id: string, from: readonly JobState[], outcome: JobOutcome, now: string): Promise<boolean> {
    const names: Record<string, string> = { '#state': 'state', '#finishedAt': 'finishedAt', '#updatedAt': 'updatedAt' };
    const values: Item = { ':state': outcome.state, ':now': now };
    const sets = ['#state = :state', '#finishedAt = :now', '#updatedAt = :now'];
    for (const field of ['reason', 'resultsKey', 'errorsKey', 'rowsTotal', 'rowsFailed', 'firstErrors'] as const) {
      if (outcome[field] === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = outcome[field];
      sets.push(`#${field} = :${field}`);
    }
    const allowed = from.map((state, index) => {
      values[`:from${index}`] = state;
      return `:from${index}`;
    });
    const moved = await conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: recordKey(id),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: `#state IN (${allowed.join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })));
    if (moved) await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: markKey(id) }));
    return moved;
  }

  async setFirstErrors(id: string, errors: readonly RowError[]): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: recordKey(id), UpdateExpression: 'SET #errors = :errors', ExpressionAttributeNames: { '#errors': 'firstErrors' }, ExpressionAttributeValues: { ':errors': errors } }));
  }

  async dropActiveMark(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: markKey(id) }));
  }
}
