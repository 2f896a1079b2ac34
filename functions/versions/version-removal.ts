import { AppError, conflict, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { BundleStore } from '../bundles/bundle-store';
import { loadAuthorized } from '../registry/authorized-model';
import type { ModelStore } from '../registry/model-store';
import { endUploadBytes } from '../uploads/upload-bytes';
import type { UploadSessionStore } from './upload-session-store';
import type { VersionRecord } from './version-records';
import type { VersionStore } from './version-store';
import { versionGone } from './ready-versions';
import { LIVE_PUBLICATION_STATES, holdsDoi } from '../publishing/publication';
import { isWithdrawn, versionWithdrawn } from '../publishing/tombstones';

export interface VersionRemovalDeps {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  readonly sessions: UploadSessionStore;
  readonly bundles: BundleStore;
  /**
   * Asks for the DOI work a withdrawal leaves (hiding its DOI, functions/platform/doi-work-sender.ts);
   * it never throws, since the sweep sends again whatever it misses. None: nothing is sent.
   */
  readonly doiWork?: (name: string, version: number) => Promise<void>;
  /**
   * Tears down the SageMaker endpoint of a version that ended, if it had one
   * (functions/frameworks/version-deployments.ts removeWith); it never throws. None: nothing is torn down.
   */
  readonly undeploy?: (version: VersionRecord) => Promise<void>;
  readonly now?: () => Date;
}

/** Rounds of re-pointing `latest` when deletes of several versions race one another. */
const LATEST_ROUNDS = 5;

/** How a version ended: plainly deleted, or withdrawn (it had a DOI); false if it had already moved on. */
type Ending = 'deleted' | 'withdrawn' | false;

/** Ending versions: one at a time (`DELETE /model/{name}/versions/{n}`), or all of a model being deleted. */
export class VersionRemoval {
  private readonly now: () => Date;

  constructor(private readonly deps: VersionRemovalDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Deletes one version (owner only): it becomes a tombstone, so its number is never handed out
   * again and asking for it answers 410; its bytes go; `latest` moves to the newest ready
   * version left. A pending version's upload ends with it. A version with a DOI (publishing or
   * published) is withdrawn instead: the same, and its publication turns `withdrawn` with the
   * date and `reason`, its DOI is hidden off the request path, and it answers 410 with its
   * tombstone. Deleting a withdrawn version again asks again for its DOI to be hidden, should
   * that have been lost or refused.
   *
   * Errors: 404 model_not_found / version_not_found, 403 for non-owners, 410 version_gone or
   * version_withdrawn when it already ended, 409 upload_checking while its bundle is being checked.
   */
  async deleteVersion(actor: Actor, name: string, number: number, reason?: string): Promise<VersionRecord> {
    const model = await loadAuthorized(this.deps.models, actor, name, 'delete').catch(async (error: unknown) => {
      // In a withdrawn model, its owner may still ask again for a version's DOI to be hidden; anyone gets its tombstone.
      const withdrawn = error instanceof AppError && error.code === 'model_withdrawn' ? await this.deps.versions.get(name, number) : undefined;
      if (!withdrawn || !isWithdrawn(withdrawn)) throw error;
      if ((await this.deps.models.getModelRecord(name))?.owner === actor.id && !actor.anonymous) await this.deps.doiWork?.(name, number);
      throw versionWithdrawn(withdrawn);
    });
    const version = number <= model.versionCounter ? await this.deps.versions.get(name, number) : undefined;
    if (!version) throw notFound('version_not_found', `Model '${name}' has no version ${number}`);
    if (version.status === 'deleted' || version.status === 'aborted') {
      // Its DOI is checked again at the agency, and hidden if it is findable (a lost message, a refusal since fixed).
      if (isWithdrawn(version)) await this.deps.doiWork?.(name, number);
      throw versionGone(version, model);
    }
    const now = this.now().toISOString();
    const ending = await this.endVersion(version, { by: actor.id, reason: (withdrawn) => reason ?? `${withdrawn ? 'Withdrawn' : 'Deleted'} by ${actor.id}`, now, unclaimedAt: now });
    const after = await this.deps.versions.get(name, number);
    if (!ending || !after) {
      if (after?.status === 'pending') throw conflict('upload_checking', `Version ${number} of model '${name}' is being checked; ask again in a moment`);
      throw versionGone(after ?? version, model);
    }
    await endUploadBytes(this.deps.bundles, version.bundleKey, version.uploadId ? await this.deps.sessions.get(name, version.uploadId) : undefined);
    // Its endpoint would go on serving (and costing) a version that no longer exists.
    await this.deps.undeploy?.(after);
    await this.repointLatest(name, number);
    return after;
  }

  /**
   * Every version of a model being deleted becomes a tombstone, and those with DOIs are withdrawn
   * with `reason`; returns the ones that were live, and which of them were withdrawn.
   */
  async endAll(name: string, by: string, reason?: string): Promise<{ ended: VersionRecord[]; withdrawn: VersionRecord[] }> {
    const ended: VersionRecord[] = [];
    const withdrawn: VersionRecord[] = [];
    for (const version of await this.deps.versions.list(name)) {
      if (version.status === 'deleted' || version.status === 'aborted') continue;
      const ending = await this.endVersion(version, { by, reason: (isWithdrawal) => reason ?? `Model '${name}' was ${isWithdrawal ? 'withdrawn' : 'deleted'}`, now: this.now().toISOString() });
      if (ending) ended.push(version);
      // As it stands once ended: a deploy that began after the listing is torn down too.
      if (ending) await this.deps.undeploy?.((await this.deps.versions.get(name, version.version)) ?? version);
      if (ending === 'withdrawn') withdrawn.push(version);
    }
    for (const session of await this.deps.sessions.list(name)) {
      if (session.state !== 'aborted' && session.s3UploadId) await this.deps.bundles.abortMultipart(session.bundleKey, session.s3UploadId);
    }
    return { ended, withdrawn };
  }

  /** Asks again for the hiding of every withdrawn version's DOI (its owner deleting a withdrawn model again). */
  async resendWithdrawals(name: string): Promise<void> {
    for (const version of await this.deps.versions.list(name)) if (isWithdrawn(version)) await this.deps.doiWork?.(name, version.version);
  }

  /** Every version of the model that holds a DOI (publishing, published or withdrawn), oldest first. */
  async withDois(name: string): Promise<VersionRecord[]> {
    return (await this.deps.versions.list(name)).filter((version) => holdsDoi(version.publication));
  }

  /**
   * Ends one live version: withdrawn if its publication holds a DOI, else deleted. Each is one
   * conditional write that refuses the other case, so a publish racing the delete cannot leave a
   * deleted version with a DOI: a write that loses reads the version again and takes the other way.
   */
  private async endVersion(version: VersionRecord, how: { by: string; reason: (withdrawn: boolean) => string; now: string; unclaimedAt?: string }): Promise<Ending> {
    let current: VersionRecord | undefined = version;
    for (let round = 0; round < 2 && current; round += 1) {
      const { name, version: number } = current;
      if (current.status === 'deleted' || current.status === 'aborted') return false;
      if (current.publication && LIVE_PUBLICATION_STATES.includes(current.publication.state)) {
        if (await this.deps.versions.withdraw(name, number, { reason: how.reason(true), by: how.by, now: how.now })) {
          await this.deps.doiWork?.(name, number);
          return 'withdrawn';
        }
      } else if (await this.deps.versions.transition(name, number, ['pending', 'ready', 'rejected'], { status: 'deleted', reason: how.reason(false), by: how.by }, how.now,
        how.unclaimedAt === undefined ? {} : { unclaimedAt: how.unclaimedAt })) {
        return 'deleted';
      }
      current = await this.deps.versions.get(name, number);
    }
    return false;
  }

  /**
   * Retires the keys of versions whose upload URLs may still work (created within `urlLifetimeMs`),
   * once the model's objects are gone: a URL kept from before the delete then meets If-None-Match.
   */
  async retireRecentKeys(versions: readonly VersionRecord[], urlLifetimeMs: number): Promise<void> {
    const since = new Date(this.now().getTime() - urlLifetimeMs).toISOString();
    for (const version of versions) if (version.createdAt >= since) await this.deps.bundles.retire(version.bundleKey);
  }

  /** If the deleted version was the latest, the newest ready one below it takes its place (or none). */
  private async repointLatest(name: string, deleted: number): Promise<void> {
    let gone = deleted;
    for (let round = 0; round < LATEST_ROUNDS; round += 1) {
      const model = await this.deps.models.getModelRecord(name);
      if (!model || model.latestVersion !== gone) return;
      const ready = (await this.deps.versions.list(name)).filter((version) => version.status === 'ready' && version.version < gone);
      const replacement = ready.at(-1)?.version;
      if (await this.deps.models.retractLatestVersion(name, gone, replacement, this.now().toISOString())) {
        if (replacement === undefined) return;
        // The replacement may have been deleted meanwhile: look again from it.
        const still = await this.deps.versions.get(name, replacement);
        if (still?.status === 'ready') return;
        gone = replacement;
      }
    }
  }
}
