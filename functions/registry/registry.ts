import { Readable } from 'node:stream';
import { authorize, modelNotFound, type AccessLevel, type ModelAction } from '../access/access-policy';
import { parseAccessChange, type Grant } from '../access/access-settings';
import { AppError, invalid, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { bundleKey, modelPrefix } from '../bundles/bundle-keys';
import type { BundleLimits } from '../bundles/bundle-limits';
import type { BundleStore } from '../bundles/bundle-store';
import { inspectBundle } from '../bundles/inspect-bundle';
import { decodeCursor, encodeCursor } from './list-cursor';
import { parseModelDocument } from './model-fields';
import { checkModelName } from './model-name';
import type { ModelRecord, ModelWithVersions, Visibility, VersionRecord } from './model-records';
import type { ExpectedRevision, ListingPage, ListingQuery, ModelStore } from './model-store';

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

export interface ModelAccess {
  readonly name: string;
  readonly owner: string;
  readonly visibility: Visibility;
  readonly grants: readonly Grant[];
}

export interface VisibleModel extends ModelWithVersions {
  /** The actor's own access, which decides what of the record they are shown. */
  readonly level: AccessLevel;
}

export interface DeletedModel {
  readonly name: string;
  readonly versions: number;
  readonly objects: number;
}


type Lister = (query: ListingQuery) => Promise<ListingPage>;

/** The model registry: creating, reading, changing, listing and deleting models and their versions. */
export class Registry {
  private readonly now: () => Date;

  constructor(private readonly deps: RegistryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async createModel(actor: Actor, name: string, body: unknown): Promise<ModelRecord> {
    checkModelName(name);
    if (actor.anonymous) throw new AppError('unauthenticated', 'authentication_required', 'Sign in to create models');
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

  /** Loads the record and the actor's grant, and lets the action through or refuses it. */
  private async authorized(actor: Actor, name: string, action: ModelAction): Promise<ModelRecord> {
    checkModelName(name);
    const { model, grant } = await this.deps.models.getModelAccess(name, actor.id);
    authorize(actor, name, model, grant, action);
    return model as ModelRecord;
  }

  async getModel(actor: Actor, name: string): Promise<VisibleModel> {
    checkModelName(name);
    const found = await this.deps.models.getModel(name);
    const grant = found?.grants.find((candidate) => !actor.anonymous && candidate.user === actor.id)?.role;
    const level = authorize(actor, name, found?.model, grant, 'view');
    return { ...(found as ModelWithVersions), level };
  }

  async updateModel(actor: Actor, name: string, body: unknown, expected: ExpectedRevision): Promise<ModelRecord> {
    await this.authorized(actor, name, 'edit');
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
  async deleteModel(actor: Actor, name: string): Promise<DeletedModel> {
    checkModelName(name);
    const access = await this.deps.models.getModelAccess(name, actor.id);
    // A delete that was interrupted is finished by the owner's next DELETE.
    const resumable = access.model?.state === 'deleting' ? { ...access.model, state: 'active' as const } : access.model;
    authorize(actor, name, resumable, access.grant, 'delete');
    const model = await this.deps.models.beginDelete(name);
    if (!model) throw modelNotFound(name);
    const objects = await this.deps.bundles.deletePrefix(modelPrefix(name));
    const versions = await this.deps.models.deleteModelItems(name);
    return { name, versions, objects };
  }

  /**
   * The models the actor can see, newest first: public ones, their own, and those shared with
   * them (only their own with `mine`), merged from one index query each.
   */
  async listModels(actor: Actor, options: { limit: number; cursor?: string; mine?: boolean }): Promise<ModelPage> {
    const before = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const query = { limit: options.limit, ...(before === undefined ? {} : { before }) };
    const { models } = this.deps;
    const sources: Lister[] = actor.anonymous
      ? [(q) => models.listPublic(q)]
      : options.mine
        ? [(q) => models.listByOwner(actor.id, q)]
        : [(q) => models.listByOwner(actor.id, q), (q) => models.listPublic(q), (q) => models.listSharedWith(actor.id, q)];
    const pages = await Promise.all(sources.map((list) => list(query)));
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

  async getAccess(actor: Actor, name: string): Promise<ModelAccess> {
    await this.authorized(actor, name, 'viewAccess');
    const { model, grants } = (await this.deps.models.getModel(name)) as ModelWithVersions;
    return { name, owner: model.owner, visibility: model.visibility, grants };
  }

  /**
   * Applies new privacy settings. Each step is a single-item write and the whole change is
   * idempotent, so a request that fails half-way converges when repeated.
   */
  async setAccess(actor: Actor, name: string, body: unknown): Promise<ModelAccess> {
    const model = await this.authorized(actor, name, 'manageAccess');
    const change = parseAccessChange(body, model.owner);
    const now = this.now().toISOString();
    if (change.grants) {
      const current = (await this.deps.models.getModel(name))?.grants ?? [];
      const wanted = new Map(change.grants.map((grant) => [grant.user, grant.role]));
      for (const grant of change.grants) {
        const existing = current.find((candidate) => candidate.user === grant.user);
        if (existing?.role === grant.role) continue;
        await this.deps.models.putGrant(name, { user: grant.user, role: grant.role, grantedAt: now, grantedBy: actor.id }, model.createdAt);
      }
      for (const stale of current.filter((grant) => !wanted.has(grant.user))) await this.deps.models.deleteGrant(name, stale.user);
    }
    if (change.visibility && change.visibility !== model.visibility) await this.deps.models.setVisibility(name, change.visibility, now);
    return this.getAccess(actor, name);
  }

  /**
   * Adds an immutable version. The version item is written as pending before its bytes, so no
   * object ever exists without a record; the model record is updated last, as the commit point.
   */
  async addVersion(actor: Actor, name: string, bundle: NewBundle): Promise<VersionRecord> {
    await this.authorized(actor, name, 'upload');
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

  /** A ready version's record and bytes: the latest one unless a version is named. */
  async getBundle(actor: Actor, name: string, requested?: number): Promise<{ version: VersionRecord; bytes: Buffer }> {
    const model = await this.authorized(actor, name, 'download');
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
