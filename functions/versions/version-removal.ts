import { conflict, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { BundleStore } from '../bundles/bundle-store';
import { loadAuthorized } from '../registry/authorized-model';
import type { ModelStore } from '../registry/model-store';
import { endUploadBytes } from './upload-bytes';
import type { UploadSessionStore } from './upload-session-store';
import type { VersionRecord } from './version-records';
import type { VersionStore } from './version-store';
import { versionGone } from './ready-versions';

export interface VersionRemovalDeps {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  readonly sessions: UploadSessionStore;
  readonly bundles: BundleStore;
  readonly now?: () => Date;
}

/** Rounds of re-pointing `latest` when deletes of several versions race one another. */
const LATEST_ROUNDS = 5;

/** Ending versions: one at a time (`DELETE /model/{name}/versions/{n}`), or all of a model being deleted. */
export class VersionRemoval {
  private readonly now: () => Date;

  constructor(private readonly deps: VersionRemovalDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Deletes one version (owner only): it becomes a tombstone, so its number is never handed out
   * again and asking for it answers 410; its bytes go; `latest` moves to the newest ready
   * version left. A pending version's upload ends with it.
   *
   * Errors: 404 model_not_found / version_not_found, 403 for non-owners, 410 version_gone when it
   * already ended, 409 upload_checking while its bundle is being checked.
   */
  async deleteVersion(actor: Actor, name: string, number: number, reason?: string): Promise<VersionRecord> {
    const model = await loadAuthorized(this.deps.models, actor, name, 'delete');
    const version = number <= model.versionCounter ? await this.deps.versions.get(name, number) : undefined;
    if (!version) throw notFound('version_not_found', `Model '${name}' has no version ${number}`);
    if (version.status === 'deleted' || version.status === 'aborted') throw versionGone(version, model);
    // A DOI never stops resolving: until withdrawal exists (a tombstone that keeps the DOI), a published version stays.
    if (version.publication && version.publication.state !== 'publish_failed') {
      throw conflict('version_published', `Version ${number} of model '${name}' is published as ${version.publication.doi}, which resolves to it: it is not deleted`);
    }
    const now = this.now().toISOString();
    const ended = await this.deps.versions.transition(name, number, ['pending', 'ready', 'rejected'],
      { status: 'deleted', reason: reason ?? `Deleted by ${actor.id}`, by: actor.id }, now, { unclaimedAt: now });
    const after = await this.deps.versions.get(name, number);
    if (!ended || !after) {
      if (after?.status === 'pending') throw conflict('upload_checking', `Version ${number} of model '${name}' is being checked; ask again in a moment`);
      throw versionGone(after ?? version, model);
    }
    await endUploadBytes(this.deps.bundles, version.bundleKey, version.uploadId ? await this.deps.sessions.get(name, version.uploadId) : undefined);
    await this.repointLatest(name, number);
    return after;
  }

  /** Every version of a model being deleted becomes a tombstone; returns the ones that were live. */
  async endAll(name: string, by: string): Promise<VersionRecord[]> {
    const ended: VersionRecord[] = [];
    for (const version of await this.deps.versions.list(name)) {
      if (version.status === 'deleted' || version.status === 'aborted') continue;
      const moved = await this.deps.versions.transition(name, version.version, ['pending', 'ready', 'rejected'],
        { status: 'deleted', reason: `Model '${name}' was deleted`, by }, this.now().toISOString());
      if (moved) ended.push(version);
    }
    for (const session of await this.deps.sessions.list(name)) {
      if (session.state !== 'aborted' && session.s3UploadId) await this.deps.bundles.abortMultipart(session.bundleKey, session.s3UploadId);
    }
    return ended;
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
