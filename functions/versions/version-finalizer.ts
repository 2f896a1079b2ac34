import { accessLevel, atLeast } from '../access/access-policy';
import { AppError } from '../errors/app-error';
import { userActor } from '../identity/actor';
import type { BundleLimits } from '../bundles/bundle-limits';
import type { BundleStore, StoredObject } from '../bundles/bundle-store';
import { parseBundleKey } from '../bundles/bundle-keys';
import { inspectBundle } from '../bundles/inspect-bundle';
import type { ModelStore } from '../registry/model-store';
import { CLAIM_MS, whileClaimed } from '../uploads/claim-lease';
import type { UploadSessionStore } from './upload-session-store';
import type { VersionRecord, VersionStatus } from './version-records';
import type { VersionStore } from './version-store';

/**
 * - a version status: where the version stands now (`pending` when its bytes have not all arrived);
 * - `missing`: the key belongs to no version, and its bytes were removed;
 * - `busy`: someone else holds the claim to check it, and will finish it (or the sweep will).
 */
export type FinalizeResult = VersionStatus | 'missing' | 'busy';

export interface FinalizerDeps {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  readonly sessions: UploadSessionStore;
  readonly bundles: BundleStore;
  readonly bundleLimits: BundleLimits;
  readonly now?: () => Date;
  /** Told of every check that made a version ready or rejected it (for logs and metrics). */
  readonly onChecked?: (check: UploadCheck) => void;
}

/** A finished check: the version, what became of it, the stored bundle's size, and why it was rejected. */
export interface UploadCheck {
  readonly name: string;
  readonly version: number;
  readonly outcome: 'ready' | 'rejected';
  readonly bytes: number;
  readonly reason?: string;
}

export interface FinalizeOptions {
  /** When the caller must have finished by: its claim lapses then, so nobody waits on a dead check. */
  readonly until?: Date;
}

const SYSTEM = 'mlhub';

/**
 * The one way a pending version becomes ready or rejected, whichever path its bytes came by
 * (a direct upload, a presigned session's complete call, the storage event, the sweep).
 *
 * The object is streamed once, pinned to the ETag it had when looked at: its size and sha256
 * must match what the upload declared, it must be a safe .tar.gz within the limits, and the
 * uploader must still be allowed to write to the model. A rejected version keeps its reason and
 * loses its object. Safe to run again and from several places at once: a claim keeps two checks
 * from streaming the same bytes, and every change of state is conditional on `pending`.
 */
export class VersionFinalizer {
  private readonly now: () => Date;

  constructor(private readonly deps: FinalizerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** For a stored object's key, as a storage event names it. Bytes that belong to no pending upload are removed. */
  async finalizeKey(key: string, claimant: string, options: FinalizeOptions = {}): Promise<FinalizeResult | 'ignored'> {
    const target = parseBundleKey(key);
    if (!target) return 'ignored';
    const version = await this.deps.versions.get(target.name, target.version);
    if (!version || version.bundleKey !== key) {
      // A URL from an aborted upload, or from a deleted model of the same name, wrote here.
      await this.deps.bundles.delete(key);
      return 'missing';
    }
    if (version.status !== 'pending') {
      // A ready version's object is never written again (If-None-Match); an ended one keeps only its empty marker.
      if (version.status !== 'ready' && (await this.deps.bundles.stat(key))?.size !== 0) await this.deps.bundles.retire(key);
      return version.status;
    }
    return this.check(version, claimant, options);
  }

  async finalize(name: string, number: number, claimant: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
    const version = await this.deps.versions.get(name, number);
    if (!version) return 'missing';
    if (version.status !== 'pending') return this.settled(name, number, version.status);
    return this.check(version, claimant, options);
  }

  private async check(version: VersionRecord, claimant: string, options: FinalizeOptions): Promise<FinalizeResult> {
    const { versions, bundles } = this.deps;
    const { name, version: number } = version;
    const stored = await bundles.stat(version.bundleKey);
    if (stored === undefined) return 'pending';
    const until = (options.until ?? new Date(this.now().getTime() + CLAIM_MS)).getTime();
    const checked = await whileClaimed((lease, now) => versions.claim(name, number, claimant, lease, now), until, this.now, () => this.checkClaimed(version, stored));
    if (checked.claimed) return checked.result;
    const status = await this.statusOf(name, number);
    return status === 'pending' ? 'busy' : status;
  }

  private async checkClaimed(version: VersionRecord, stored: StoredObject): Promise<FinalizeResult> {
    const { versions, bundles } = this.deps;
    const { name, version: number } = version;

    const declared = await this.declared(version);
    let reason = await this.refusalBeforeReading(version, stored.size, declared.size);
    if (reason === undefined) {
      try {
        const inspected = await inspectBundle(await bundles.open(version.bundleKey, stored.pin), this.deps.bundleLimits);
        if (declared.sha256 && inspected.sha256 !== declared.sha256) {
          reason = `The bundle's sha256 is ${inspected.sha256}, not the ${declared.sha256} declared`;
        } else {
          const outcome = { status: 'ready', sha256: inspected.sha256, size: inspected.size, manifest: inspected.manifest, pin: stored.pin } as const;
          if (!(await versions.transition(name, number, ['pending'], outcome, this.now().toISOString()))) return this.statusOf(name, number);
          const committed = await this.deps.models.commitLatestVersion(name, number, this.now().toISOString());
          if (committed === 'model_gone') await bundles.retire(version.bundleKey);
          this.deps.onChecked?.({ name, version: number, outcome: 'ready', bytes: stored.size });
          return 'ready';
        }
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid_bundle') {
          reason = error.message;
        } else {
          // The bytes went while being read (an abort, a delete, an expiry): whoever ended the version says how.
          const status = await this.statusOf(name, number);
          if (status !== 'pending') return status;
          throw error;
        }
      }
    }
    if (!(await versions.transition(name, number, ['pending'], { status: 'rejected', reason, by: SYSTEM }, this.now().toISOString()))) return this.statusOf(name, number);
    await bundles.retire(version.bundleKey);
    this.deps.onChecked?.({ name, version: number, outcome: 'rejected', bytes: stored.size, reason });
    return 'rejected';
  }

  /** What the upload promised: a session's declared size and sha256, or a direct upload's own. */
  private async declared(version: VersionRecord): Promise<{ size: number; sha256?: string }> {
    if (!version.uploadId) return { size: version.size, ...(version.sha256 ? { sha256: version.sha256 } : {}) };
    const session = await this.deps.sessions.get(version.name, version.uploadId);
    return { size: session?.size ?? version.size, ...(session?.sha256 ? { sha256: session.sha256 } : {}) };
  }

  /** Why the bytes are refused before a byte is read: the wrong size, or an uploader who may no longer write. */
  private async refusalBeforeReading(version: VersionRecord, storedSize: number, declaredSize: number): Promise<string | undefined> {
    if (storedSize !== declaredSize) return `The stored bundle is ${storedSize} bytes, not the ${declaredSize} bytes declared`;
    const { model, grant } = await this.deps.models.getModelAccess(version.name, version.createdBy);
    if (!model || model.state !== 'active') return `Model '${version.name}' was deleted during the upload`;
    if (!atLeast(accessLevel(userActor(version.createdBy, 'session'), model, grant), 'write')) {
      return `${version.createdBy}, who started this upload, may no longer upload versions of model '${version.name}'`;
    }
    return undefined;
  }

  private async statusOf(name: string, number: number): Promise<FinalizeResult> {
    return this.settled(name, number, (await this.deps.versions.get(name, number))?.status ?? 'missing');
  }

  /**
   * A status found rather than made here. A version another check made ready may not be its
   * model's latest yet (that check commits it next): committed here too (a no-op once it is), so
   * that whoever is told `ready` (a completed upload's caller) finds it as the latest at once.
   */
  private async settled(name: string, number: number, status: FinalizeResult): Promise<FinalizeResult> {
    if (status === 'ready') await this.deps.models.commitLatestVersion(name, number, this.now().toISOString());
    return status;
  }
}
