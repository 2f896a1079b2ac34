import type { GrantRole } from '../access/access-policy';
import type { Grant } from '../access/access-settings';
import type { ModelFields } from './model-fields';
import type { ModelRecord, ModelWithVersions, ModelWithdrawal, Visibility } from './model-records';

/** A page of listing rows, newest first, each with the sort key the next page starts below. */
export interface ListingPage {
  readonly rows: readonly { readonly model: ModelRecord; readonly sortKey: string }[];
  /** True when the index may hold more rows below the last one returned. */
  readonly more: boolean;
}

export interface ListingQuery {
  /** Only rows whose sort key is strictly below this one. */
  readonly before?: string;
  readonly limit: number;
}

/** `any` is `If-Match: *`: the update needs only that the model exists. */
export type ExpectedRevision = 'any' | readonly number[];

export type CommitOutcome = 'committed' | 'superseded' | 'model_gone';

/**
 * Persistence for models: records, grants and listings (versions and upload sessions have stores
 * of their own in functions/versions). Every write is a single-item conditional write,
 * so the store works without transactions (dynalite has none) and never half-applies a change.
 */
export interface ModelStore {
  /** Fails with a conflict if the name is taken (or still being deleted). */
  createModel(model: ModelRecord): Promise<void>;
  /** The model and its live versions (not aborted or deleted), oldest first; undefined if absent or deleted. */
  getModel(name: string): Promise<ModelWithVersions | undefined>;
  getModelRecord(name: string): Promise<ModelRecord | undefined>;
  /** The record and the role granted to one user, read together for an access check. */
  getModelAccess(name: string, user: string): Promise<{ model?: ModelRecord; grant?: GrantRole }>;
  putGrant(name: string, grant: Grant, modelCreatedAt: string): Promise<void>;
  deleteGrant(name: string, user: string): Promise<void>;
  /**
   * Puts the model's current state in the search change log again, writing nothing else: an
   * access change repeated because its first try was cut off after the table write but before the
   * log entry finds nothing to write, and this heals search (issue 13).
   */
  recordSearchState(name: string): Promise<void>;
  /** Changes visibility of an active model, moving it into or out of the public listing. */
  setVisibility(name: string, visibility: Visibility, now: string): Promise<ModelRecord>;
  /** Fails with not_found if absent, stale if the revision does not match. */
  updateModel(name: string, fields: ModelFields, expected: ExpectedRevision, now: string): Promise<ModelRecord>;
  /** Hands out the next version number of an active model: never one handed out before under the name. */
  allocateVersion(name: string): Promise<number>;
  /** Makes `version` the latest ready one unless a newer one already is, or the model went away. */
  commitLatestVersion(name: string, version: number, now: string): Promise<CommitOutcome>;
  /**
   * Marks the model as being deleted: out of listings, into the list of deletes under way (so an
   * interrupted one is finished by the sweep); returns undefined if absent.
   */
  /**
   * Undefined when there is no such model, or its revision is not one of `expected`. `reason` is
   * kept for a withdrawal's tombstone; `withdrawal`, for a model with DOIs, is the tombstone it
   * answers with (410) while the delete goes on.
   */
  beginDelete(name: string, now: string, expected?: ExpectedRevision, reason?: string, withdrawal?: ModelWithdrawal): Promise<ModelRecord | undefined>;
  /** Gives a model being deleted the tombstone it answers with meanwhile, unless it has one; nothing if it is not being deleted. */
  markWithdrawing(name: string, withdrawal: ModelWithdrawal): Promise<void>;
  /** Models whose delete began and has not ended, the oldest first. */
  listDeleting(limit: number): Promise<ModelRecord[]>;
  /**
   * Removes the grants and upload sessions of a model being deleted, then turns its record into a
   * tombstone that keeps only the name and the version counter; or, given a withdrawal (it has
   * DOIs), into a `withdrawn` record that keeps its metadata and reserves the name for ever.
   */
  endModel(name: string, now: string, withdrawal?: ModelWithdrawal): Promise<void>;
  /** Points `latest` from `version` to `replacement` (or nowhere); false if `version` was not the latest. */
  retractLatestVersion(name: string, version: number, replacement: number | undefined, now: string): Promise<boolean>;
  listByOwner(owner: string, query: ListingQuery): Promise<ListingPage>;
  listPublic(query: ListingQuery): Promise<ListingPage>;
  /** Models shared with the user through a grant (the records are read, so deleted ones drop out). */
  listSharedWith(user: string, query: ListingQuery): Promise<ListingPage>;
  /** Cheap round trip proving the table answers. */
  ping(): Promise<void>;
}
