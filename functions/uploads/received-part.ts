/** A part S3 holds for a multipart upload: its number (1-based), byte length and ETag. */
export interface ReceivedPart {
  readonly number: number;
  readonly size: number;
  readonly etag: string;
}
