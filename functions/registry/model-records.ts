import type { Grant } from '../access/access-settings';
import type { BundleManifest } from '../bundles/bundle-manifest';
import type { ModelType } from './model-type';

export type Visibility = 'private' | 'public';

/** `deleting` marks a model whose removal has begun; it no longer accepts writes or shows in listings. */
export type ModelState = 'active' | 'deleting';

/** The mutable record of a model. */
export interface ModelRecord {
  readonly name: string;
  readonly type: ModelType;
  readonly meta: Record<string, unknown>;
  readonly description?: string;
  readonly reference?: string;
  readonly discipline?: string;
  readonly owner: string;
  readonly visibility: Visibility;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Bumped by every metadata change; exposed as the ETag. */
  readonly revision: number;
  /** The last version number handed out (some may have failed). */
  readonly versionCounter: number;
  /** The newest version whose bundle is ready. */
  readonly latestVersion?: number;
  readonly state: ModelState;
}

export type VersionStatus = 'pending' | 'ready' | 'rejected';

/** One immutable version of a model's bundle. */
export interface VersionRecord {
  readonly name: string;
  readonly version: number;
  readonly status: VersionStatus;
  readonly bundleKey: string;
  readonly sha256: string;
  readonly size: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly filename?: string;
  readonly manifest?: BundleManifest;
  /** The upload session filling a pending version. */
  readonly uploadId?: string;
  /** Why a rejected version was refused. */
  readonly reason?: string;
}

/** How a pending version ends: its checked bundle, or the reason it was refused. */
export type VersionOutcome =
  | { readonly status: 'ready'; readonly sha256: string; readonly size: number; readonly manifest: BundleManifest }
  | { readonly status: 'rejected'; readonly reason: string };

export interface ModelWithVersions {
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
  readonly grants: readonly Grant[];
}
