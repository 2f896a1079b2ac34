import { Readable } from 'node:stream';
import { modelNotFound } from '../access/access-policy';
import { AppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { newBundleKey } from '../bundles/bundle-keys';
import type { BundleLimits } from '../bundles/bundle-limits';
import type { BundleStore } from '../bundles/bundle-store';
import { inspectBundle } from '../bundles/inspect-bundle';
import { loadAuthorized } from '../registry/authorized-model';
import type { ModelStore } from '../registry/model-store';
import { routeById } from '../routes/route-table';
import type { VersionFinalizer } from './version-finalizer';
import type { VersionRecord } from './version-records';
import type { VersionStore } from './version-store';
import { plainFilename } from './bundle-filename';
import { versionGone } from './ready-versions';

/**
 * A direct upload lives within one invocation of its route: once that has surely ended, nobody
 * but the sweep will finish its version (checking bytes that were stored, expiring the rest).
 */
const DIRECT_UPLOAD_MS = (routeById('uploadBundle').timeoutSeconds + 1) * 1000;

export interface DirectUploadDeps {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  readonly bundles: BundleStore;
  readonly finalizer: VersionFinalizer;
  readonly bundleLimits: BundleLimits;
  readonly now?: () => Date;
}

export interface NewBundle {
  readonly bytes: Buffer;
  readonly filename?: string;
}

/**
 * The seed's `POST /model/{name}/upload`: a bundle small enough to travel in the request. It
 * takes the path every upload takes, store the bytes, then finalize, so the version is checked
 * from exactly what S3 holds, by the same code as a presigned upload.
 */
export class DirectUpload {
  private readonly now: () => Date;

  constructor(private readonly deps: DirectUploadDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Why an upload's version ended under it: its model went (404, as for any missing model), or the version did (410). */
  private async ended(version: VersionRecord): Promise<AppError> {
    const model = await this.deps.models.getModelRecord(version.name);
    return model?.state === 'active' ? versionGone(version) : modelNotFound(version.name);
  }

  /**
   * The version record is written as pending before its bytes, so no object ever exists without a
   * record; a crash after that leaves a pending version that the sweep aborts at its expiry.
   * A bundle that fails the checks in memory is refused before a version number is spent.
   */
  async addVersion(actor: Actor, name: string, bundle: NewBundle): Promise<VersionRecord> {
    await loadAuthorized(this.deps.models, actor, name, 'upload');
    const inspected = await inspectBundle(Readable.from([bundle.bytes]), this.deps.bundleLimits);
    const { models, versions, bundles, finalizer } = this.deps;
    const number = await models.allocateVersion(name);
    const created = this.now();
    const filename = plainFilename(bundle.filename);
    const pending: VersionRecord = {
      name,
      version: number,
      status: 'pending',
      bundleKey: newBundleKey(name, number),
      sha256: inspected.sha256,
      size: inspected.size,
      createdAt: created.toISOString(),
      createdBy: actor.id,
      expiresAt: new Date(created.getTime() + DIRECT_UPLOAD_MS).toISOString(),
      ...(filename ? { filename } : {}),
    };
    await versions.put(pending);
    try {
      await bundles.put(pending.bundleKey, bundle.bytes, inspected.sha256);
    } catch (error) {
      // A delete of the model (or of this version) may have ended it and retired its key first: say so.
      if (!(await versions.transition(name, number, ['pending'], { status: 'aborted', reason: 'The bundle could not be stored', by: actor.id }, this.now().toISOString()))) {
        throw await this.ended((await versions.get(name, number)) ?? pending);
      }
      // S3 writes are atomic: a failed put stored nothing, and the marker is only a guard against late writes.
      await bundles.retire(pending.bundleKey).catch(() => undefined);
      throw error;
    }
    const until = new Date(created.getTime() + DIRECT_UPLOAD_MS);
    let result = await finalizer.finalize(name, number, `upload:${number}`, { until });
    // The storage event may be checking the same bytes: it finishes within the claim; wait for its verdict.
    while (result === 'busy' && Date.now() < until.getTime()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await finalizer.finalize(name, number, `upload:${number}`, { until });
    }
    const version = await versions.get(name, number);
    if (!version) throw new Error(`Version ${number} of ${name} vanished while being checked`);
    if (version.status === 'rejected') {
      // Bytes refused because the model was deleted meanwhile: the answer is the model's own (404, 410).
      await loadAuthorized(models, actor, name, 'upload');
      throw new AppError('invalid', 'invalid_bundle', version.reason ?? 'The bundle was refused');
    }
    if (version.status === 'aborted' || version.status === 'deleted') throw await this.ended(version);
    return version;
  }
}
