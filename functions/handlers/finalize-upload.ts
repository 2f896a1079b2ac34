import type { S3Event } from 'aws-lambda';
import { parseBundleKey } from '../bundles/bundle-keys';
import { versionFinalizer } from '../platform/bundle-services';

/**
 * Subscribed to the bundle bucket's ObjectCreated events: checks each newly stored bundle of an
 * upload session, whether or not its client ever calls complete.
 */
export async function handler(event: S3Event): Promise<{ results: { key: string; status: string }[] }> {
  const results: { key: string; status: string }[] = [];
  for (const record of event.Records ?? []) {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const target = parseBundleKey(key);
    if (!target) continue;
    const status = await versionFinalizer().finalize(target.name, target.version, `event:${record.responseElements?.['x-amz-request-id'] ?? 'local'}`);
    console.log(JSON.stringify({ level: 'INFO', message: 'bundle checked', key, status }));
    // Someone else is checking it (a client's complete call): fail, so the retry checks it if they do not finish.
    if (status === 'busy') throw new Error(`${key} is being checked elsewhere; the retry will look again`);
    results.push({ key, status });
  }
  return { results };
}
