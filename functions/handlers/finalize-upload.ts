import type { S3Event } from 'aws-lambda';
import { logger } from '../observability/logger';
import { observeEvents } from '../observability/event-observer';
import { versionFinalizer } from '../platform/bundle-services';

/**
 * Subscribed to the bundle bucket's ObjectCreated events: checks each newly stored bundle,
 * whether or not its client ever calls complete. Quiet and idempotent: when someone else holds
 * the check (`busy`), they finish it, or the pending sweep does once their claim lapses, so a
 * failed invocation here always means a real fault.
 */
export const handler = observeEvents('finalizeUpload', async (event: S3Event): Promise<{ results: { key: string; status: string }[] }> => {
  const results: { key: string; status: string }[] = [];
  for (const record of event.Records ?? []) {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const status = await versionFinalizer().finalizeKey(key, `event:${record.responseElements?.['x-amz-request-id'] ?? 'local'}`);
    if (status === 'ignored') continue;
    logger.info(status === 'busy' ? 'bundle being checked by another caller' : 'bundle checked', { key, status });
    results.push({ key, status });
  }
  return { results };
});
