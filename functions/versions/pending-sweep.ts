import type { BundleStore } from '../bundles/bundle-store';
import type { DatasetFinalizer } from '../datasets/dataset-finalizer';
import type { DatasetStore } from '../datasets/dataset-store';
import type { ModelRemoval } from '../registry/model-removal';
import { routeById } from '../routes/route-table';
import { endUploadBytes } from '../uploads/upload-bytes';
import type { UploadSessionStore } from './upload-session-store';
import type { VersionFinalizer } from './version-finalizer';
import type { VersionStore } from './version-store';

/** The dataset side of the sweep (functions/datasets/): pending datasets end as pending versions do. */
export interface PendingDatasets {
  readonly store: DatasetStore;
  readonly finalizer: DatasetFinalizer;
}

export interface PendingSweepDeps {
  readonly removal: ModelRemoval;
  readonly versions: VersionStore;
  readonly sessions: UploadSessionStore;
  readonly bundles: BundleStore;
  readonly finalizer: VersionFinalizer;
  /** Sends a version's DOI work to registerDois again (functions/platform/doi-work-sender.ts); none: not sent. */
  readonly doiWork?: (name: string, version: number) => Promise<void>;
  /** None: datasets are not swept. */
  readonly datasets?: PendingDatasets;
  readonly now?: () => Date;
  /** Told of each item whose handling threw (logged in the cloud); the sweep goes on with the next. */
  readonly onItemError?: (item: SweptItem, error: unknown) => void;
}

/** What one step of the sweep was about, for its error. */
export interface SweptItem {
  readonly kind: 'version' | 'dataset';
  readonly id: string;
}

export interface SweepReport {
  /** Pending versions looked at. */
  readonly seen: number;
  /** Expired: aborted, bytes removed. */
  readonly expired: number;
  /** Stored but never checked (a lost event, a crashed complete): checked now, by verdict. */
  readonly checked: Readonly<Record<string, number>>;
  /** Model deletes that were interrupted, finished now. */
  readonly deletesFinished: number;
  /** Versions whose DOI work (registering, or hiding a withdrawn one) waited too long, and was asked for again. */
  readonly doiWorkResent: number;
  /** Pending versions whose handling threw: left pending for the next run, the others handled regardless. */
  readonly failed: number;
  /** Pending datasets, as versions above: looked at, expired, checked by verdict, and failed. */
  readonly datasets: { readonly seen: number; readonly expired: number; readonly checked: Readonly<Record<string, number>>; readonly failed: number };
}

/**
 * DOI work older than this has lost its message (a crash, or npm start's in-memory queue killed):
 * well past registerDois's retries of one message, which the queue spaces by its visibility timeout.
 */
export const DOI_WORK_GRACE_MS = 5 * 60_000;

/** A delete under way for longer than its route may run has lost its caller. */
const DELETE_GRACE_MS = (routeById('deleteModel').timeoutSeconds + 1) * 1000;

/** Pending versions looked at per run: the oldest expiries first, so a backlog drains run by run. */
const BATCH = 100;

/**
 * Ends what a crash or an abandoned client left pending, versions and datasets alike. Run on a schedule (EventBridge in the
 * cloud, a timer locally): a pending version whose bytes are all stored but that nobody checked
 * (a lost event, a killed complete or direct upload) is checked once its claim lapses; one
 * without its bytes past its expiry, and not being checked, becomes aborted and its parts go. A
 * model delete whose caller died half-way is finished. DOI work whose message was lost is sent again.
 */
export class PendingSweep {
  private readonly now: () => Date;

  constructor(private readonly deps: PendingSweepDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Stops starting new work once `deadline` (epoch ms) is near; the next run goes on. */
  async sweep(deadline: number): Promise<SweepReport> {
    const { versions, sessions, bundles, finalizer } = this.deps;
    let expired = 0;
    const checked: Record<string, number> = {};
    const deletesFinished = (await this.deps.removal.finishInterrupted(new Date(this.now().getTime() - DELETE_GRACE_MS).toISOString(), BATCH)).length;
    const pending = await versions.listPending(BATCH);
    let failed = 0;
    for (const version of pending) {
      if (Date.now() >= deadline) break;
      const outcome = await this.isolated({ kind: 'version', id: `${version.name}/${version.version}` }, async () => {
        if (await this.checkedIfStored(version.bundleKey, checked, () => finalizer.finalize(version.name, version.version, 'sweep', { until: new Date(deadline) }))) return false;
        const now = this.now().toISOString();
        if (version.expiresAt === undefined || version.expiresAt > now) return false;
        const ended = await versions.transition(version.name, version.version, ['pending'],
          { status: 'aborted', reason: `The upload was not finished before it expired at ${version.expiresAt}`, by: 'mlhub' }, now, { unclaimedAt: now });
        if (!ended) return false;
        const session = version.uploadId ? await sessions.get(version.name, version.uploadId) : undefined;
        if (session) await sessions.setState(session.name, session.id, 'open', 'aborted');
        await endUploadBytes(bundles, version.bundleKey, session);
        return true;
      });
      if (outcome === 'failed') failed += 1;
      else if (outcome) expired += 1;
    }
    const datasets = await this.sweepDatasets(deadline);
    return { seen: pending.length, expired, checked, deletesFinished, doiWorkResent: await this.resendDoiWork(deadline), failed, datasets };
  }

  /**
   * Runs one item's step, so that an item that throws (a record that cannot be written, a store's
   * fault) costs that item only: it stays as it was for the next run, and every other pending
   * version and dataset is still swept. 'failed' when it threw.
   */
  private async isolated<T>(item: SweptItem, step: () => Promise<T>): Promise<T | 'failed'> {
    try {
      return await step();
    } catch (error) {
      this.deps.onItemError?.(item, error);
      return 'failed';
    }
  }

  /**
   * Bytes that all arrived are checked whatever the hour: a finished upload is never thrown away.
   * True when they had (counted in `checked` by verdict, unless still pending or busy).
   */
  private async checkedIfStored(key: string, checked: Record<string, number>, finalize: () => Promise<string>): Promise<boolean> {
    if ((await this.deps.bundles.stat(key)) === undefined) return false;
    const result = await finalize();
    if (result !== 'pending' && result !== 'busy') checked[result] = (checked[result] ?? 0) + 1;
    return true;
  }

  /** Pending datasets, by their marks: checked if stored, aborted (bytes retired) once expired, a stale mark dropped. */
  private async sweepDatasets(deadline: number): Promise<SweepReport['datasets']> {
    const checked: Record<string, number> = {};
    if (!this.deps.datasets) return { seen: 0, expired: 0, checked, failed: 0 };
    const { store, finalizer } = this.deps.datasets;
    let expired = 0;
    let failed = 0;
    const marks = await store.listPending(BATCH);
    for (const mark of marks) {
      if (Date.now() >= deadline) break;
      const outcome = await this.isolated({ kind: 'dataset', id: mark.id }, async () => {
        const now = this.now().toISOString();
        const dataset = await store.get(mark.id);
        if (!dataset || dataset.status !== 'pending') {
          // The mark of a dataset that moved on (its drop was lost), or whose record was never put.
          if (dataset || mark.expiresAt <= now) await store.dropPendingMark(mark.id);
          return false;
        }
        if (await this.checkedIfStored(dataset.dataKey, checked, () => finalizer.finalize(dataset.id, 'sweep', { until: new Date(deadline) }))) return false;
        if (dataset.upload.expiresAt > now) return false;
        const ended = await store.transition(dataset.id, ['pending'], { status: 'aborted', reason: `The upload was not finished before it expired at ${dataset.upload.expiresAt}` }, now, { unclaimedAt: now });
        if (!ended) return false;
        await store.setUploadState(dataset.id, 'open', 'aborted', now);
        await endUploadBytes(this.deps.bundles, dataset.dataKey, dataset.upload);
        return true;
      });
      if (outcome === 'failed') failed += 1;
      else if (outcome) expired += 1;
    }
    return { seen: marks.length, expired, checked, failed };
  }

  /** Asks again for DOI work that waited past DOI_WORK_GRACE_MS; sending it twice is harmless (VersionPublishing.advance). */
  private async resendDoiWork(deadline: number): Promise<number> {
    const { doiWork, versions } = this.deps;
    if (!doiWork) return 0;
    const stale = new Date(this.now().getTime() - DOI_WORK_GRACE_MS).toISOString();
    let resent = 0;
    for (const version of await versions.listDoiWork(BATCH)) {
      if (Date.now() >= deadline) break;
      const publication = version.publication;
      const since = publication?.state === 'withdrawn' ? publication.withdrawnAt : publication?.requestedAt;
      // Oldest first: the first one still within its grace ends the run.
      if (since === undefined) continue;
      if (since >= stale) break;
      await doiWork(version.name, version.version);
      resent += 1;
    }
    return resent;
  }
}
