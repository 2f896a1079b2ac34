import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { observeEvents } from '../observability/event-observer';
import { logger } from '../observability/logger';
import { versionPublishing } from '../platform/publishing-services';

/**
 * Reads the DOI queue (functions/catalogue/function-catalogue.ts, registerDois): each message
 * `{"name", "version"}` does the DOI work that version awaits (VersionPublishing.advance):
 * registering its DOIs, or hiding them once it is withdrawn. A message the
 * registration agency may answer later (429, 5xx, unreachable) is named in batchItemFailures, so
 * SQS gives it back after the visibility timeout, until its receives run out and it moves to the
 * dead-letter queue; a refusal settles the version as publish_failed and the message is done.
 */
export const handler = observeEvents('registerDois', async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records ?? []) {
    let request: { name?: unknown; version?: unknown };
    try {
      request = JSON.parse(record.body) as typeof request;
    } catch {
      logger.error('DOI registration message is not JSON; dropped', { messageId: record.messageId });
      continue;
    }
    if (typeof request.name !== 'string' || !Number.isSafeInteger(request.version)) {
      logger.error('DOI registration message names no version; dropped', { messageId: record.messageId });
      continue;
    }
    try {
      const publication = await versionPublishing().advance(request.name, request.version as number);
      logger.info('DOI work', { model: request.name, version: request.version, state: publication?.state ?? 'none', reason: publication?.reason ?? publication?.hideFailure });
    } catch (error) {
      logger.warn('DOI registration will be retried', { model: request.name, version: request.version, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
});
