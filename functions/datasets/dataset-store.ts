import type { DatasetOutcome, DatasetRecord, DatasetStatus, DatasetUpload } from './dataset-records';

/** One page of a listing, newest first; `before` is the sort key of the last row served (list-cursor.ts). */
export interface DatasetPage {
  readonly datasets: readonly DatasetRecord[];
  /** The sort key after which the next page starts; absent on the last page. */
  readonly last?: string;
}

/**
 * Persistence for datasets. Every change of state is one conditional write on the dataset's
 * item, so two writers racing (complete, abort, the storage event, the sweep, a delete) cannot both win.
 */
export interface DatasetStore {
  /** Records a new pending dataset; fails if the id exists. */
  put(dataset: DatasetRecord): Promise<void>;
  get(id: string): Promise<DatasetRecord | undefined>;
  /** The owner's datasets, newest first, `limit` at most, strictly below `before`. */
  listByOwner(owner: string, query: { readonly limit: number; readonly before?: string }): Promise<DatasetPage>;
  /** Moves the upload session between states; false if it was not in `from`. */
  setUploadState(id: string, from: DatasetUpload['state'], to: DatasetUpload['state'], now: string): Promise<boolean>;
  /**
   * Claims the right to inspect a pending dataset until `until` (ISO 8601), so the storage event,
   * the complete call and the sweep never all stream the same bytes; the holder may renew its own
   * claim, anyone may take a lapsed one. False when someone else holds it, or it is no longer pending.
   */
  claim(id: string, claimant: string, until: string, now: string): Promise<boolean>;
  /**
   * Moves a dataset from one of `from` to the outcome at `now`; false if it was in none of them.
   * With `unclaimedAt`, only if no claim is held at that instant: a running check is never cut off.
   */
  transition(id: string, from: readonly DatasetStatus[], outcome: DatasetOutcome, now: string, options?: { readonly unclaimedAt?: string }): Promise<boolean>;
  /** Removes the dataset's items; returns the record it removed, or undefined if there was none. */
  remove(id: string): Promise<DatasetRecord | undefined>;
  /** Pending datasets' ids and expiries, soonest expiry first. */
  listPending(limit: number): Promise<{ readonly id: string; readonly expiresAt: string }[]>;
  /** Forgets a pending mark whose dataset is gone or no longer pending. */
  dropPendingMark(id: string): Promise<void>;
}
