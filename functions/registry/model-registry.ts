import { authorize, type AccessLevel, type ModelAction } from '../access/access-policy';
import { parseAccessChange, type Grant } from '../access/access-settings';
import { AppError, invalid } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { loadAuthorized } from './authorized-model';
import { decodeCursor, encodeCursor } from './list-cursor';
import { parseModelDocument } from './model-fields';
import { checkModelName } from './model-name';
import type { ModelRecord, ModelWithVersions, Visibility } from './model-records';
import type { ExpectedRevision, ListingPage, ListingQuery, ModelStore } from './model-store';

export interface ModelPage {
  readonly models: readonly ModelRecord[];
  readonly nextCursor?: string;
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

type Lister = (query: ListingQuery) => Promise<ListingPage>;

/** Model records and who may see them: creating, reading, changing, listing, sharing. */
export class ModelRegistry {
  private readonly now: () => Date;

  constructor(private readonly models: ModelStore, now?: () => Date) {
    this.now = now ?? (() => new Date());
  }

  private authorized(actor: Actor, name: string, action: ModelAction): Promise<ModelRecord> {
    return loadAuthorized(this.models, actor, name, action);
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
    await this.models.createModel(model);
    return model;
  }

  async getModel(actor: Actor, name: string): Promise<VisibleModel> {
    checkModelName(name);
    const found = await this.models.getModel(name);
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
    return this.models.updateModel(name, fields, expected, this.now().toISOString());
  }

  /**
   * The models the actor can see, newest first: public ones, their own, and those shared with
   * them (only their own with `mine`), merged from one index query each.
   */
  async listModels(actor: Actor, options: { limit: number; cursor?: string; mine?: boolean }): Promise<ModelPage> {
    const before = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const query = { limit: options.limit, ...(before === undefined ? {} : { before }) };
    const { models } = this;
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
    const { model, grants } = (await this.models.getModel(name)) as ModelWithVersions;
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
      const current = (await this.models.getModel(name))?.grants ?? [];
      const wanted = new Map(change.grants.map((grant) => [grant.user, grant.role]));
      for (const grant of change.grants) {
        const existing = current.find((candidate) => candidate.user === grant.user);
        if (existing?.role === grant.role) continue;
        await this.models.putGrant(name, { user: grant.user, role: grant.role, grantedAt: now, grantedBy: actor.id }, model.createdAt);
      }
      for (const stale of current.filter((grant) => !wanted.has(grant.user))) await this.models.deleteGrant(name, stale.user);
    }
    if (change.visibility && change.visibility !== model.visibility) await this.models.setVisibility(name, change.visibility, now);
    return this.getAccess(actor, name);
  }
}
