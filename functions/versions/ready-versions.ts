import { AppError, conflict, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { BundleStore } from '../bundles/bundle-store';
import { loadAuthorized } from '../registry/authorized-model';
import type { ModelRecord } from '../registry/model-records';
import type { ModelStore } from '../registry/model-store';
import type { VersionRecord } from './version-records';
import type { VersionStore } from './version-store';
import { isWithdrawn, versionWithdrawn } from '../publishing/tombstones';

export interface ReadyVersionDeps {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  readonly bundles: BundleStore;
}

/**
 * 410 Gone for a version that existed and ended, saying what happened to it (RFC 9110 §15.5.11:
 * the resource is no longer there and this is likely permanent). Its number is never reused, so
 * a request for it can never get another bundle. A version of an earlier model of the same name
 * says only that: who deleted it, and when, are that model's owner's business.
 */
export function versionGone(version: VersionRecord, model?: Pick<ModelRecord, 'createdAt'>): AppError {
  // Its DOI resolves here: anyone may read its tombstone, whichever model now holds the name.
  if (isWithdrawn(version)) return versionWithdrawn(version);
  if (model && version.createdAt < model.createdAt) {
    return new AppError('gone', 'version_gone', `Version ${version.version} of '${version.name}' belonged to an earlier model of this name, which was deleted; version numbers are never reused`);
  }
  const when = version.endedAt ? ` on ${version.endedAt}` : '';
  const why = version.reason ? `: ${version.reason}` : '';
  const what = version.status === 'deleted' ? 'was deleted' : 'was aborted before it was ready';
  return new AppError('gone', 'version_gone', `Version ${version.version} of model '${version.name}' ${what}${when}${why}`);
}

/** Reading a model's ready versions: which one an action uses, and its bytes, exactly as checked. */
export class ReadyVersions {
  constructor(private readonly deps: ReadyVersionDeps) {}

  /**
   * Any live version the caller may see (pending, ready, rejected); 410 for one that ended, with
   * its tombstone for one withdrawn, even when its whole model was (its DOI resolves here).
   */
  async version(actor: Actor, name: string, number: number): Promise<VersionRecord> {
    const model = await loadAuthorized(this.deps.models, actor, name, 'view').catch(async (error: unknown) => {
      const withdrawn = error instanceof AppError && error.code === 'model_withdrawn' ? await this.deps.versions.get(name, number) : undefined;
      throw withdrawn && isWithdrawn(withdrawn) ? versionWithdrawn(withdrawn) : error;
    });
    const version = number <= model.versionCounter ? await this.deps.versions.get(name, number) : undefined;
    if (!version) throw notFound('version_not_found', `Model '${name}' has no version ${number}`);
    if (version.status === 'deleted' || version.status === 'aborted') throw versionGone(version, model);
    return version;
  }

  /**
   * The ready version an action uses: the one named, or the latest ready one. What the caller
   * learns when there is none, or when it is not ready, depends on the action.
   */
  private async readyVersionFor(
    actor: Actor, name: string, requested: number | undefined, action: 'predict' | 'download',
    refuse: { none: () => AppError; notReady: (version: VersionRecord) => AppError },
  ): Promise<{ model: ModelRecord; version: VersionRecord }> {
    const model = await loadAuthorized(this.deps.models, actor, name, action);
    const number = requested ?? model.latestVersion;
    if (number === undefined) throw refuse.none();
    const version = number <= model.versionCounter ? await this.deps.versions.get(name, number) : undefined;
    if (!version) throw notFound('version_not_found', `Model '${name}' has no version ${number}`);
    if (version.status === 'deleted' || version.status === 'aborted') throw versionGone(version, model);
    if (version.status !== 'ready') throw refuse.notReady(version);
    return { model, version };
  }

  /**
   * The version a prediction runs on. A model with nothing ready to run answers 409, since the
   * request is fine and the model is not.
   */
  readyVersion(actor: Actor, name: string, requested?: number): Promise<{ model: ModelRecord; version: VersionRecord }> {
    return this.readyVersionFor(actor, name, requested, 'predict', {
      none: () => conflict('no_ready_bundle', `Model '${name}' has no ready bundle to predict with; upload one to /model/${name}/upload`),
      notReady: (version) => conflict('no_ready_bundle', `Version ${version.version} of model '${name}' is ${version.status}, not ready to predict with${version.reason ? `: ${version.reason}` : ''}`),
    });
  }

  /** A ready version to download: the latest one unless a version is named. */
  async downloadableVersion(actor: Actor, name: string, requested?: number): Promise<VersionRecord> {
    const { version } = await this.readyVersionFor(actor, name, requested, 'download', {
      none: () => notFound('no_bundle', `Model '${name}' has no uploaded bundle yet; POST one to /model/${name}/upload`),
      notReady: (found) => conflict('version_not_ready', `Version ${found.version} of model '${name}' is ${found.status}, not ready${found.reason ? `: ${found.reason}` : ''}`),
    });
    return version;
  }

  /** A ready version's record and bytes (exactly the object its check read), for bundles small enough to hold in memory. */
  async getBundle(actor: Actor, name: string, requested?: number): Promise<{ version: VersionRecord; bytes: Buffer }> {
    const version = await this.downloadableVersion(actor, name, requested);
    return { version, bytes: await this.deps.bundles.get(version.bundleKey, version.pin) };
  }
}
