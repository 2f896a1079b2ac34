import { randomBytes } from 'node:crypto';
import type { Transfer } from '../uploads/upload-transfer';
import type { ObjectPin } from '../versions/version-records';
import type { DatasetCompression, DatasetFormat, DatasetSchema } from './dataset-inspection';

/**
 * A dataset's life, every move a conditional write on its item:
 *
 *   pending ──▶ ready
 *      ├────▶ rejected   (the inspection refused the file, or it is not what was declared)
 *      └────▶ aborted    (its upload was aborted, or expired before its bytes all arrived)
 *
 * Deleting a dataset removes its item (and its objects) whatever its state: a later GET is 404.
 */
export type DatasetStatus = 'pending' | 'ready' | 'rejected' | 'aborted';
export type DatasetVisibility = 'private' | 'public';

/** `ds_` and 24 hex digits (96 random bits): an id is never guessed, so a URL names one dataset only. */
export const DATASET_ID = /^ds_[0-9a-f]{24}$/;
export const newDatasetId = (): string => `ds_${randomBytes(12).toString('hex')}`;

/** The one upload that brings a dataset's bytes: its S3 side (Transfer, key = the data object) and its session. */
export interface DatasetUpload extends Transfer {
  readonly state: 'open' | 'completed' | 'aborted';
  readonly expiresAt: string;
  /** The sha256 the creator declared, if any: the stored bytes must match it. */
  readonly sha256?: string;
}

export interface DatasetRecord {
  readonly id: string;
  /** The user id of its creator, who alone may change or delete it. */
  readonly owner: string;
  readonly filename: string;
  /** Bytes as uploaded (compressed, for a gzip upload). */
  readonly size: number;
  /** The stored bytes' sha256 once ready; the declared one before. */
  readonly sha256?: string;
  /** Declared at creation, or found by the inspection. */
  readonly format?: DatasetFormat;
  readonly compression?: DatasetCompression;
  readonly status: DatasetStatus;
  /** Why it was rejected or aborted. */
  readonly reason?: string;
  readonly schema?: DatasetSchema;
  /** Data rows (a header row is not one), found by reading the whole file once. */
  readonly rowCount?: number;
  /** Which object jobs read rows from: `data`, or `plain` (the decompressed copy of a gzip upload). */
  readonly readsFrom?: 'data' | 'plain';
  readonly visibility: DatasetVisibility;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** S3 keys (docs: DESIGN15.md): the bytes as uploaded; the decompressed copy; the inspection's layout. */
  readonly dataKey: string;
  readonly plainKey?: string;
  readonly layoutKey?: string;
  /** The data object the inspection read, so readers get exactly those bytes. */
  readonly pin?: ObjectPin;
  readonly upload: DatasetUpload;
}

/** What a pending dataset may become, with what that writes. */
export type DatasetOutcome =
  | {
    readonly status: 'ready'; readonly sha256: string; readonly format: DatasetFormat; readonly compression: DatasetCompression;
    readonly schema: DatasetSchema; readonly rowCount: number; readsFrom: 'data' | 'plain'; readonly layoutKey: string; readonly plainKey?: string; readonly pin: ObjectPin;
  }
  | { readonly status: 'rejected' | 'aborted'; readonly reason: string };
