/**
 * What browser code does with presigned URLs on the bundle bucket, and so what the bucket's CORS
 * rule allows the configured origins (lib/storage/mlhub-storage.ts in the cloud, the local S3
 * server's bucket configuration in local/s3-server.ts):
 * - `PUT` a single bundle or a multipart part (functions/versions/upload-sessions.ts). A single PUT
 *   carries `If-None-Match: *`, signed into its URL (functions/bundles/s3-bundle-store.ts), and a
 *   browser adds `Content-Type` for a typed Blob; MLHub's URLs sign no checksum or MD5 header.
 * - `GET` and `HEAD` a download, fetched from the URL of the JSON form of
 *   `GET /model/{name}/download`, possibly as a `Range`.
 * No POST: a browser never creates or completes a multipart upload itself, MLHub's functions do.
 * No `null` origin: a 302 followed across origins arrives with `Origin: null` (Fetch standard,
 * "HTTP-redirect fetch"), which any sandboxed page also sends; browsers use the JSON form instead.
 */
export const BUNDLE_BUCKET_CORS = {
  allowedMethods: ['GET', 'HEAD', 'PUT'],
  allowedHeaders: ['content-type', 'if-none-match', 'range'],
  /** A browser resuming or verifying a multipart upload reads each part's ETag; a download, its name and range. */
  exposedHeaders: ['ETag', 'Content-Disposition', 'Content-Range', 'Content-Length'],
  maxAgeSeconds: 3600,
} as const;
