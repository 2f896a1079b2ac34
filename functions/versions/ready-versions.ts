import { Readable } from 'node:stream';
import { modelNotFound } from '../access/access-policy';
import { AppError, conflict, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { bundleKey } from '../bundles/bundle-keys';
import type { BundleLimits } from '../bundles/bundle-limits';
import type { BundleStore } from '../bundles/bundle-store';
import { inspectBundle } from '../bundles/inspect-bundle';
import { loadAuthorized } from './authorized-model';
import type { ModelRecord, VersionRecord } from './model-records';
import type { ModelStore } from './model-store';

export interface VersionRegistryDeps {
  readonly models: ModelStore;
  readonly bundles: BundleStore;
  readonly bundleLimits: BundleLimits;
  readonly now?: () => Date;
}

export interface NewBundle {
  readonly bytes: Buffer;
  readonly filename?: string;
}

/** A model's immutable versions: adding one from a checked bundle, and reading one back. */
export class VersionRegistry {
  private readonly now: () => Date;

  constructor(private readonly deps: VersionRegistryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Adds an immutable version. The version item is written as pending before its bytes, so no
   * object ever exists without a record; the model record is updated last, as the commit point.
   */
  async addVersion(actor: Actor, name: string, bundle: NewBundle): Promise<VersionRecord> {
    await loadAuthorized(this.deps.models, actor, name, 'upload');
    const inspected = await inspectBundle(Readable.from([bundle.bytes]), this.deps.bundleLimits);

    const version = await this.deps.models.allocateVersion(name);
    const pending: VersionRecord = {
      name,
      version,
      status: 'pending',
      bundleKey: bundleKey(name, version),
      sha256: inspected.sha256,
      size: inspected.size,
      createdAt: this.now().toISOString(),
      createdBy: actor.id,
      ...(bundle.filename ? { filename: bundle.filename } : {}),
      manifest: inspected.manifest,
    };
    await this.deps.models.putVersion(pending);
    try {
      await this.deps.bundles.put(pending.bundleKey, bundle.bytes, inspected.sha256);
      await this.deps.models.setVersionStatus(name, version, 'pending', 'ready');
    } catch (error) {
      await this.discardVersion(pending);
      throw error;
    }
    const outcome = await this.deps.models.commitLatestVersion(name, version, this.now().toISOString());
    if (outcome === 'model_gone') {
      await this.discardVersion(pending);
      throw modelNotFound(name);
    }
    return { ...pending, status: 'ready' };
  }

  /**
   * S3 writes are atomic, so after a failed put there is no object to remove; a failing delete must
   * not keep the version record from going. A model delete sweeps the whole prefix in any case.
   */
  private async discardVersion(version: VersionRecord): Promise<void> {
    await this.deps.bundles.delete(version.bundleKey).catch((error: unknown) => {
      console.warn(JSON.stringify({ level: 'WARN', message: 'could not remove discarded bundle', key: version.bundleKey, error: String(error) }));
    });
    await this.deps.models.deleteVersion(version.name, version.version);
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
    const version = await this.deps.models.getVersion(name, number);
    if (!version) throw notFound('version_not_found', `Model '${name}' has no version ${number}`);
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
      notReady: (version) => conflict('no_ready_bundle', `Version ${version.version} of model '${name}' is ${version.status}, not ready to predict with`),
    });
  }

  /** A ready version to download: the latest one unless a version is named. */
  async downloadableVersion(actor: Actor, name: string, requested?: number): Promise<VersionRecord> {
    const { version } = await this.readyVersionFor(actor, name, requested, 'download', {
      none: () => notFound('no_bundle', `Model '${name}' has no uploaded bundle yet; POST one to /model/${name}/upload`),
      notReady: (found) => new AppError('conflict', 'version_not_ready', `Version ${found.version} of model '${name}' is ${found.status}, not ready`),
    });
    return version;
  }

  /** A ready version's record and bytes, for bundles small enough to hold in memory. */
  async getBundle(actor: Actor, name: string, requested?: number): Promise<{ version: VersionRecord; bytes: Buffer }> {
    const version = await this.downloadableVersion(actor, name, requested);
    return { version, bytes: await this.deps.bundles.get(version.bundleKey) };
  }
}
