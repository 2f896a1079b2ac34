import type { BundleStore } from '../bundles/bundle-store';

/**
 * Ends the bytes of an upload whose record ended without them (aborted, expired, deleted): its
 * multipart upload, if it had one, so no part URL works any more, and its key, which is retired
 * so no single-PUT URL writes there again.
 */
export async function endUploadBytes(store: BundleStore, key: string, transfer: { readonly s3UploadId?: string } | undefined): Promise<void> {
  if (transfer?.s3UploadId) await store.abortMultipart(key, transfer.s3UploadId);
  await store.retire(key);
}
