import type { BundleStore } from '../bundles/bundle-store';
import type { UploadSession } from './upload-records';

/**
 * Ends the bytes of an upload whose version ended without them (aborted, expired, deleted): its
 * multipart upload, if it had one, so no part URL works any more, and its key, which is retired
 * so no single-PUT URL writes there again.
 */
export async function endUploadBytes(bundles: BundleStore, bundleKey: string, session: UploadSession | undefined): Promise<void> {
  if (session?.s3UploadId) await bundles.abortMultipart(session.bundleKey, session.s3UploadId);
  await bundles.retire(bundleKey);
}
