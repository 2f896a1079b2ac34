import { Readable } from 'node:stream';
import { AppError, invalid, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { bundleKey, modelPrefix } from '../bundles/bundle-keys';
import type { BundleLimits } from '../bundles/bundle-limits';
import type { BundleStore } from '../bundles/bundle-store';
import { inspectBundle } from '../bundles/inspect-bundle';
import { decodeCursor, encodeCursor } from './list-cursor';
import { parseModelDocument } from './model-fields';
import { checkModelName } from './model-name';
import type { ModelRecord, ModelWithVersions, VersionRecord } from './model-records';
import type { ExpectedRevision, ModelStore } from './model-store';

export interface RegistryDeps {
  readonly models: ModelStore;
  readonly bundles: BundleStore;
  readonly bundleLimits: BundleLimits;
  readonly now?: () => Date;
}

export interface ModelPage {
  readonly models: readonly ModelRecord[];
  readonly nextCursor?: string;
}

export interface NewBundle {
  readonly bytes: Buffer;
  readonly filename?: string;
}

export interface DeletedModel {
  readonly name: string;
  readonly versions: number;
  readonly objects: number;
}

const modelMissing = (name: string): AppError => notFound('model_not_found', `Model '${name}' does not exist`);

/** The model registry: creating, reading, changing, listing and deleting models and their versions. */
export class Registry {
  private readonly now: () => Date;

  constructor(private readonly deps: RegistryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async createModel(actor: Actor, name: string, body: unknown): Promise<ModelRecord> {
    checkModelName(name);
    const { name: named, fields } = parseModelDocument(body);
    if (named !== undefined && named !== name) {
      throw invalid('name_mismatch', `The body names model '${named}' but the path names '${name}'; they must match`);
    }
    if (!fields.type) throw invalid('missing_type', "Field 'type' is required: one of TensorFlow, PyTorch, Keras, ScikitLearn, ONNX");
    const now = this.now().toISOString();
    const model: ModelRecord = {
      name,
      type: fields.type,
      meta: fields.meta ?? {},
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.reference !== undefined ? { reference: fields.reference } : {}),
      ...(fields.discipline !== undefined ? { discipline: fields.discipline } : {}),
      owner: actor.id,
      visibility: 'private',
      createdAt: now,
      updatedAt: now,
      revision: 1,
      versionCounter: 0,
      state: 'active',
    };
    await this.deps.models.createModel(model);
    return model;
  }

  async getModel(_actor: Actor, name: string): Promise<ModelWithVersions> {
    checkModelName(name);
    const found = await this.deps.models.getModel(name);
    if (!found || found.model.state !== 'active') throw modelMissing(name);
    return found;
  }

  async updateModel(_actor: Actor, name: string, body: unknown, expected: ExpectedRevision): Promise<ModelRecord> {
    checkModelName(name);
    const { name: named, fields } = parseModelDocument(body);
    if (named !== undefined && named !== name) {
      throw invalid('name_mismatch', `The body names model '${named}' but the path names '${name}'; renaming is not supported`);
    }
    return this.deps.models.updateModel(name, fields, expected, this.now().toISOString());
  }

  /**
   * Bundles go first and the record last, so a delete that fails half-way leaves a model that is
   * still listed as being deleted and can be deleted again; nothing is orphaned.
   */
  async deleteModel(_actor: Actor, name: string): Promise<DeletedModel> {
    checkModelName(name);
    const model = await this.deps.models.beginDelete(name);
    if (!model) throw modelMissing(name);
    const objects = await this.deps.bundles.deletePrefix(modelPrefix(name));
    const versions = await this.deps.models.deleteModelItems(name);
    return { name, versions, objects };
  }

  /** The models the actor can see, newest first: their own and the public ones, merged. */
  async listModels(actor: Actor, options: { limit: number; cursor?: string }): Promise<ModelPage> {
    const before = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const query = { limit: options.limit, ...(before === undefined ? {} : { before }) };
    const pages = await Promise.all([this.deps.models.listByOwner(actor.id, query), this.deps.models.listPublic(query)]);
    const seen = new Set<string>();
    const merged = pages
      .flatMap((page) => page.rows)
      .sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0))
      .filter((row) => (seen.has(row.model.name) ? false : (seen.add(row.model.name), true)));
    const served = merged.slice(0, options.limit);
    const more = merged.length > served.length || pages.some((page) => page.more);
    const last = served.at(-1);
    return {
      models: served.map((row) => row.model),
      ...(more && last ? { nextCursor: encodeCursor(last.sortKey) } : {}),
    };
  }

  /**
   * Adds an immutable version. The version item is written as pending before its bytes, so no
   * object ever exists without a record; the model record is updated last, as the commit point.
   */
  async addVersion(actor: Actor, name: string, bundle: NewBundle): Promise<VersionRecord> {
    checkModelName(name);
    const model = await this.deps.models.getModelRecord(name);
    if (!model || model.state !== 'active') throw modelMissing(name);
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
      throw modelMissing(name);
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

  /** A ready version's record and bytes: the latest one unless a version is named. */
  async getBundle(_actor: Actor, name: string, requested?: number): Promise<{ version: VersionRecord; bytes: Buffer }> {
    checkModelName(name);
    const model = await this.deps.models.getModelRecord(name);
    if (!model || model.state !== 'active') throw modelMissing(name);
    const number = requested ?? model.latestVersion;
    if (number === undefined) throw notFound('no_bundle', `Model '${name}' has no uploaded bundle yet; POST one to /model/${name}/upload`);
    const version = await this.deps.models.getVersion(name, number);
    if (!version) throw notFound('version_not_found', `Model '${name}' has no version ${number}`);
    if (version.status !== 'ready') {
      throw new AppError('conflict', 'version_not_ready', `Version ${number} of model '${name}' is ${version.status}, not ready`);
    }
    return { version, bytes: await this.deps.bundles.get(version.bundleKey) };
  }
}
