import type { BundleManifest } from '../bundles/bundle-manifest';
import type { Deployment } from '../frameworks/deployment-records';
import type { Publication } from '../publishing/publication';

/**
 * A version's life, one state machine, every move a conditional write on the version item:
 *
 *   pending ──▶ ready ──▶ deleted
 *      │  └──▶ rejected ──▶ deleted
 *      ├────▶ aborted
 *      └────▶ deleted            (its model was deleted while it was pending)
 *
 * `pending` is the only state that accepts bytes or a check; the others are final for the bytes.
 * `deleted` keeps the item as a tombstone, so the number is never handed out again and a request
 * for it learns what happened (410) instead of getting another bundle.
 */
export type VersionStatus = 'pending' | 'ready' | 'rejected' | 'aborted' | 'deleted';

/** Version numbers sort as 10-digit keys (table-keys.ts), so none goes above this. */
export const MAX_VERSION_NUMBER = 9_999_999_999;

/** States a version never leaves for another bundle: its number is spent. */
export const ENDED_STATUSES: readonly VersionStatus[] = ['rejected', 'aborted', 'deleted'];

/** Where the bytes the check read are pinned: S3's ETag, and its version id when the bucket keeps versions. */
export interface ObjectPin {
  readonly etag: string;
  readonly versionId?: string;
}

/** One version of a model's bundle. Its bytes, once ready, never change. */
export interface VersionRecord {
  readonly name: string;
  readonly version: number;
  readonly status: VersionStatus;
  /** The object's key: unique to this upload, never reachable by a later model of the same name. */
  readonly bundleKey: string;
  readonly sha256: string;
  /** Bytes of the .tar.gz. */
  readonly size: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly filename?: string;
  readonly manifest?: BundleManifest;
  /** The upload session filling a pending version; absent for a direct upload. */
  readonly uploadId?: string;
  /** A pending version still pending then is aborted and its bytes removed (ISO 8601). */
  readonly expiresAt?: string;
  /** The exact object the check read; downloads and predictions read this one only. */
  readonly pin?: ObjectPin;
  /** When the version left pending or ready, by whom, and why (rejected, aborted, deleted). */
  readonly endedAt?: string;
  readonly endedBy?: string;
  readonly reason?: string;
  /** Its publication with a DOI, once asked for (functions/publishing/publication.ts). */
  readonly publication?: Publication;
  /** Its SageMaker endpoint, once deployed (functions/frameworks/version-deployments.ts). */
  readonly deployment?: Deployment;
}

/** How a version moves on: its checked bundle, or the end of it with the reason. */
export type VersionOutcome =
  | { readonly status: 'ready'; readonly sha256: string; readonly size: number; readonly manifest: BundleManifest; readonly pin: ObjectPin }
  | { readonly status: 'rejected' | 'aborted' | 'deleted'; readonly reason: string; readonly by: string };
