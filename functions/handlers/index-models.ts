import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { observeEvents } from '../observability/event-observer';
import { logger } from '../observability/logger';
import { searchIndexer } from '../platform/search-services';
import { modelPartition } from '../registry/table-keys';
import { TABLE_DESIGN } from '../store/table-design';

const MODEL_PREFIX = modelPartition('');

/** The model a stream record is about, from its partition key (MODEL#<name>); undefined for any other item. */
function modelNameOf(record: DynamoDBStreamEvent['Records'][number]): string | undefined {
  const partition = record.dynamodb?.Keys?.[TABLE_DESIGN.partitionKey]?.S;
  return partition?.startsWith(MODEL_PREFIX) ? partition.slice(MODEL_PREFIX.length) : undefined;
}

/**
 * Reads the table's stream (functions/catalogue/function-catalogue.ts, indexModels): the distinct
 * models a batch touched are each recorded in the search change log as they are now, and the
 * index this environment keeps is brought up to date and, now and then, written as a snapshot
 * (functions/search/search-indexer.ts). The records of a model that could not be recorded are
 * named in batchItemFailures, so the stream retries from the first of them; an index that could
 * not be kept is logged, and does not hold the stream back (the log is complete without it).
 */
export const handler = observeEvents('indexModels', async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  const names = records.flatMap((record) => modelNameOf(record) ?? []);
  const report = await searchIndexer().indexModels(names);
  const failed = new Set(report.failed);
  if (failed.size > 0) logger.warn('search changes will be retried', { models: [...failed] });
  if (report.indexError) logger.error('search index not kept; the next batch tries again', { error: report.indexError });
  logger.info('models indexed', { recorded: report.recorded, sequence: report.sequence, documents: report.documents, ...(report.snapshot ? { snapshot: report.snapshot.key, trimmed: report.trimmed } : {}) });
  return {
    batchItemFailures: records
      .filter((record) => failed.has(modelNameOf(record) ?? ''))
      .map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })),
  };
});
