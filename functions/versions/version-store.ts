import type { Deployment, DeploymentState } from '../frameworks/deployment-records';
import type { Publication } from '../publishing/publication';
import type { VersionOutcome, VersionRecord, VersionStatus } from './version-records';

export interface TransitionOptions {
  /** Only if no finalization claim is held at this instant (ISO 8601): a running check is never cut off. */
  readonly unclaimedAt?: string;
}

/**
 * Persistence for versions. Every change of state is one conditional write on the version item,
 * so two writers racing (complete, abort, the storage event, the sweep, a delete) cannot both win.
 */
export interface VersionStore {
  /** Records a new pending version; fails if the number was ever used. */
  put(version: VersionRecord): Promise<void>;
  get(name: string, version: number): Promise<VersionRecord | undefined>;
  /** Every version item of a model, tombstones included, oldest first. */
  list(name: string): Promise<VersionRecord[]>;
  /**
   * Claims the right to check a pending version's bundle until `until`, so the storage event,
   * the client's complete call and the sweep do not all stream the same bytes; false if someone
   * else holds an unexpired claim or the version is no longer pending. The same claimant may
   * claim again: that renews its lease, and lets a retried event pick up its own crashed check.
   */
  claim(name: string, version: number, claimant: string, until: string, now: string): Promise<boolean>;
  /**
   * Moves a version from one of `from` to the outcome, at `now`; false if it was in none of them,
   * or if it has a publication that holds a DOI (publishing or published): such a version is
   * withdrawn (`withdraw`), never plainly deleted, whoever races whom.
   */
  transition(name: string, version: number, from: readonly VersionStatus[], outcome: VersionOutcome, now: string, options?: TransitionOptions): Promise<boolean>;
  /** Pending versions, soonest expiry first. */
  listPending(limit: number): Promise<VersionRecord[]>;
  /**
   * Starts a ready version's publication (state `publishing`), unless it has one that is not
   * `publish_failed`: `started`, or `exists` (the publication stands; read it), or `not_ready`.
   */
  beginPublication(name: string, version: number, publication: Publication): Promise<'started' | 'exists' | 'not_ready'>;
  /** Ends a `publishing` publication as published or failed; false if it was not `publishing`. */
  settlePublication(name: string, version: number, outcome: { readonly state: 'published'; readonly publishedAt: string } | { readonly state: 'publish_failed'; readonly reason: string; readonly doiRegistered?: boolean }): Promise<boolean>;
  /**
   * Withdraws a ready version whose publication is `publishing` or `published`, in one write: the
   * version becomes `deleted` (a tombstone) and its publication `withdrawn` at `now`, with the
   * reason. False if it was not such a version (then read it: it may have been plainly deleted,
   * withdrawn already, or its publication failed).
   */
  withdraw(name: string, version: number, withdrawal: { readonly reason: string; readonly by: string; readonly now: string }): Promise<boolean>;
  /** Records that the agency hid a withdrawn version's DOI (or refused to); false if it is not withdrawn. */
  settleWithdrawal(name: string, version: number, outcome: { readonly hiddenAt: string; readonly registered: boolean } | { readonly hideFailure: string }): Promise<boolean>;
  /** Versions whose DOIs await the agency (publishing, or withdrawn and not hidden), longest waiting first. */
  listDoiWork(limit: number): Promise<VersionRecord[]>;
  /**
   * Records a ready version's deployment (state `creating`), unless it has one: `started`, or
   * `exists` (read it), or `not_ready` (the version is not ready).
   */
  beginDeployment(name: string, version: number, deployment: Deployment): Promise<'started' | 'exists' | 'not_ready'>;
  /**
   * Moves the deployment of endpoint `endpoint` from one of `from` to `state` (with SageMaker's
   * reason for `failed`) at `now`; false if it was in none of them or is another endpoint's.
   */
  moveDeployment(name: string, version: number, endpoint: string, from: readonly DeploymentState[], state: DeploymentState, now: string, reason?: string): Promise<boolean>;
  /** Forgets a `deleting` deployment of `endpoint` once SageMaker no longer has it; false if it moved on. */
  clearDeployment(name: string, version: number, endpoint: string): Promise<boolean>;
}
