export type SessionState = 'open' | 'completed' | 'aborted';

/** One resumable upload of one bundle into one pending version. */
export interface UploadSession {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly bundleKey: string;
  /** The declared size and, if given, sha256: the finished bundle must match both. */
  readonly size: number;
  readonly sha256?: string;
  readonly filename?: string;
  readonly mode: 'single' | 'multipart';
  readonly partSize?: number;
  readonly partCount?: number;
  /** S3's id of the multipart upload. */
  readonly s3UploadId?: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly state: SessionState;
}
