import type { Grant } from '../access/access-settings';
import type { VersionRecord } from '../versions/version-records';
import type { ScholarlyMetadata } from '../contracts/scholarly-metadata';
import type { ModelType } from './model-type';

export type Visibility = 'private' | 'public';

/**
 * `deleting` marks a model whose removal has begun; it no longer accepts writes or shows in
 * listings. `deleted` is what stays of it: a tombstone holding the version counter, so a model
 * created again under the name goes on numbering after the old one. A model with DOIs ends as
 * `withdrawn` instead: its record stays, readable by anyone as a tombstone (410), and its name is
 * never taken again, since its DOIs resolve to it.
 */
export type ModelState = 'active' | 'deleting' | 'deleted' | 'withdrawn';

/** When and why a model was withdrawn, with the DOIs that still resolve to it. */
export interface ModelWithdrawal {
  /** ISO 8601. */
  readonly at: string;
  readonly reason: string;
  readonly conceptDoi: string;
  readonly versions: readonly { readonly version: number; readonly doi: string }[];
  /** The title and authors its newest version with a DOI was published with: what its DOIs describe, whatever the record said later. */
  readonly published: Pick<ScholarlyMetadata, 'title' | 'authors'>;
}

/** The mutable record of a model, with its scholarly metadata (functions/contracts/scholarly-metadata.ts). */
export interface ModelRecord extends Readonly<ScholarlyMetadata> {
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
  /** The last version number handed out under this name, by this model or an earlier one of the name. */
  readonly versionCounter: number;
  /** The newest version whose bundle is ready. */
  readonly latestVersion?: number;
  readonly state: ModelState;
  /** When its delete began (ISO 8601), while it is `deleting`. */
  readonly deletingSince?: string;
  /** Why its owner deleted it, when they said (DELETE ?reason=): a withdrawal's reason. */
  readonly deletionReason?: string;
  /** Set once it is `withdrawn`. */
  readonly withdrawal?: ModelWithdrawal;
}

export interface ModelWithVersions {
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
  readonly grants: readonly Grant[];
}

