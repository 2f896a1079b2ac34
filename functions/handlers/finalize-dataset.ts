import type { S3Event } from 'aws-lambda';
import { logger } from '../observability/logger';
import { observeEvents } from '../observability/event-observer';
import { datasetFinalizer } from '../platform/dataset-services';

/**
 * Subscribed to the bucket's ObjectCreated events under `datasets/…/data`: inspects each newly
 * stored dataset, whether or not its client ever calls complete, as finalizeUpload checks
 * bundles. `busy`: someone else holds the inspection and will finish it (or the sweep will).
 */
export const handler = observeEvents('finalizeDataset', async (event: S3Event): Promise<{ results: { key: string; status: string }[] }> => {
  const results: { key: string; status: string }[] = [];
  for (const record of event.Records ?? []) {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const status = await datasetFinalizer().finalizeKey(key, `event:${record.responseElements?.['x-amz-request-id'] ?? 'local'}`);
    if (status === 'ignored') continue;
    logger.info(status === 'busy' ? 'dataset being inspected by another caller' : 'dataset inspected', { key, status });
    results.push({ key, status });
  }
  return { results };
});
