import { authorize, modelNotFound } from '../access/access-policy';
import { modelPrefix } from '../bundles/bundle-keys';
import type { BundleStore } from '../bundles/bundle-store';
import type { Actor } from '../identity/actor';
import type { VersionRemoval } from '../versions/version-removal';
import { checkModelName } from './model-name';
import { AppError } from '../errors/app-error';
import type { ModelRecord, ModelWithdrawal } from './model-records';
import type { VersionRecord } from '../versions/version-records';
import type { ExpectedRevision, ModelStore } from './model-store';

/** The withdrawal of a model whose versions `withDois` hold DOIs (none when none does): what its tombstone says. */
function withdrawalOf(withDois: readonly VersionRecord[], at: string, reason: string): ModelWithdrawal | undefined {
  const conceptDoi = withDois[0]?.publication?.conceptDoi;
  if (conceptDoi === undefined) return undefined;
  const newest = withDois.at(-1)?.publication?.snapshot.metadata;
  return {
    at,
    reason,
    conceptDoi,
    versions: withDois.map((version) => ({ version: version.version, doi: version.publication?.doi ?? '' })),
    published: { ...(newest?.title ? { title: newest.title } : {}), ...(newest?.authors ? { authors: newest.authors } : {}) },
  };
}

export interface DeletedModel {
  readonly name: string;
  readonly versions: number;
  readonly objects: number;
  /** Whether it had DOIs, so that it was withdrawn (its name stays reserved); and how many versions this withdrew. */
  readonly withdrawn: boolean;
  readonly versionsWithdrawn: number;
}

/** Deleting a model with everything it owns: grants, sessions, bundle objects; versions stay as tombstones. */
export class ModelRemoval {
  constructor(private readonly deps: {
    readonly models: ModelStore;
    readonly bundles: BundleStore;
    readonly versions: VersionRemoval;
    /** How long after a version's creation an upload URL for it may still work (session, then presign lifetime). */
    readonly urlLifetimeMs: number;
    readonly now?: () => Date;
  }) {}

  /**
   * The model leaves listings first; then its versions end (so no check can make one ready), its
   * bytes go, and its record becomes a tombstone keeping the version counter, so a model created
   * again under the name never reuses a number. A delete that fails half-way leaves a model that
   * is still listed as being deleted and can be deleted again; nothing is orphaned.
   */
  /**
   * A model with DOIs (a version publishing, published or withdrawn) is withdrawn instead: the
   * same, but its versions with DOIs are withdrawn (VersionRemoval) and its record stays as a
   * tombstone that answers 410 to anyone and keeps the name for ever.
   *
   * @param expected the revisions the caller's If-Match names (RFC 9110 §13.1.1): the delete
   *   happens only if the record is still at one of them, else 412 `revision_mismatch`
   * @param reason why, for a withdrawal's tombstone and its DOIs' Withdrawn date
   */
  async deleteModel(actor: Actor, name: string, expected: ExpectedRevision = 'any', reason?: string): Promise<DeletedModel> {
    checkModelName(name);
    const access = await this.deps.models.getModelAccess(name, actor.id);
    // A delete that was interrupted is finished by the owner's next DELETE.
    const resumable = access.model?.state === 'deleting' ? { ...access.model, state: 'active' as const } : access.model;
    // Its owner deleting a withdrawn model again asks again for its DOIs to be hidden (a hide lost or refused); anyone gets the tombstone.
    if (access.model?.state === 'withdrawn' && !actor.anonymous && access.model.owner === actor.id) await this.deps.versions.resendWithdrawals(name);
    authorize(actor, name, resumable, access.grant, 'delete');
    const now = this.now().toISOString();
    // A model with DOIs answers with its tombstone (410) from the delete's first write on, never 404.
    const withdrawal = withdrawalOf(await this.deps.versions.withDois(name), now, reason ?? `Withdrawn by ${actor.id}`);
    const model = await this.deps.models.beginDelete(name, now, expected, reason, withdrawal);
    if (!model) {
      const current = await this.deps.models.getModelRecord(name);
      if (current && current.state !== 'deleted' && expected !== 'any' && !expected.includes(current.revision)) {
        throw new AppError('stale', 'revision_mismatch', `Model '${name}' has changed since you read it (now at ETag "${current.revision}"); fetch it again and decide`);
      }
      throw modelNotFound(name);
    }
    return this.removeEverything(model, actor.id);
  }

  /**
   * Finishes deletes that began before `before` and never ended (their caller was killed or
   * timed out), as the sweep does; returns the names finished.
   */
  async finishInterrupted(before: string, limit: number): Promise<string[]> {
    const finished: string[] = [];
    for (const listed of await this.deps.models.listDeleting(limit)) {
      // An index answers eventually (and dynalite's may lag its table after a crash): only the record itself decides.
      const model = await this.deps.models.getModelRecord(listed.name);
      if (model?.state !== 'deleting' || (model.deletingSince ?? '') >= before) continue;
      await this.removeEverything(model, 'mlhub');
      finished.push(model.name);
    }
    return finished;
  }

  /** Every step is safe to run again, and to run beside another run: a retry picks up where one stopped. */
  private async removeEverything(model: ModelRecord, by: string): Promise<DeletedModel> {
    const { name } = model;
    // A delete resumed (by the sweep, or begun before this rule) shows its tombstone while it ends.
    if (!model.withdrawal) {
      const provisional = withdrawalOf(await this.deps.versions.withDois(name), this.now().toISOString(), model.deletionReason ?? `Withdrawn by ${by}`);
      if (provisional) await this.deps.models.markWithdrawing(name, provisional);
    }
    const { ended, withdrawn } = await this.deps.versions.endAll(name, by, model.deletionReason);
    const objects = await this.deps.bundles.deletePrefix(modelPrefix(name));
    await this.deps.versions.retireRecentKeys(ended, this.deps.urlLifetimeMs);
    const now = this.now().toISOString();
    const withdrawal = withdrawalOf(await this.deps.versions.withDois(name), model.withdrawal?.at ?? now, model.deletionReason ?? `Withdrawn by ${by}`);
    await this.deps.models.endModel(name, now, withdrawal);
    return { name, versions: ended.length, objects, withdrawn: withdrawal !== undefined, versionsWithdrawn: withdrawn.length };
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }
}
