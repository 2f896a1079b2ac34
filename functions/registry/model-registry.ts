import { holdsDoi } from '../publishing/publication';
import { authorize, type AccessLevel, type ModelAction } from '../access/access-policy';
import { accessChangeOf, type Grant } from '../access/access-settings';
import { AppError, conflict, invalid } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { loadAuthorized } from './authorized-model';
import { encodeCursor, listingStart } from './list-cursor';
import type { ModelDocument } from '../contracts/model-contracts';
import type { AccessDocument } from '../contracts/access-contracts';
import { checkMetaBackend } from '../inference/deploy-endpoint-backends';
import { modelFieldsOf } from './model-fields';
import { SCHOLARLY_KEYS } from '../contracts/scholarly-metadata';
import { checkModelName } from './model-name';
import { MODEL_TYPES } from './model-type';
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

  /**
   * @param isOffboarded Whether an administrator offboarded a user (functions/offboarding/), asked
   *   of each user a PUT access would newly grant a role; none is offboarded without it.
   */
  private readonly isOffboarded: (user: string) => Promise<boolean>;

  /** `isOffboarded` says whether an administrator offboarded a user, whom no grant may then name (functions/offboarding/). */
  constructor(private readonly models: ModelStore, options: { readonly now?: () => Date; readonly isOffboarded: (user: string) => Promise<boolean> }) {
    this.now = options.now ?? (() => new Date());
    this.isOffboarded = options.isOffboarded;
  }

  private authorized(actor: Actor, name: string, action: ModelAction): Promise<ModelRecord> {
    return loadAuthorized(this.models, actor, name, action);
  }

  async createModel(actor: Actor, name: string, body: ModelDocument): Promise<ModelRecord> {
    checkModelName(name);
    if (actor.anonymous) throw new AppError('unauthenticated', 'authentication_required', 'Sign in to create models');
    const { name: named, visibility, fields } = modelFieldsOf(body);
    if (named !== undefined && named !== name) {
      throw invalid('name_mismatch', `The body names model '${named}' but the path names '${name}'; they must match`);
    }
    checkMetaBackend(name, fields.meta);
    if (!fields.type) throw invalid('missing_type', `Field 'type' is required: one of ${MODEL_TYPES.join(', ')}`);
    const now = this.now().toISOString();
    const model: ModelRecord = {
      name,
      type: fields.type,
      meta: fields.meta ?? {},
      // null clears a field; on a new record that is the same as leaving it out.
      ...(typeof fields.description === 'string' ? { description: fields.description } : {}),
      ...(typeof fields.reference === 'string' ? { reference: fields.reference } : {}),
      ...(typeof fields.discipline === 'string' ? { discipline: fields.discipline } : {}),
      ...Object.fromEntries(SCHOLARLY_KEYS.filter((key) => fields[key] !== undefined && fields[key] !== null).map((key) => [key, fields[key]])),
      owner: actor.id,
      visibility: visibility ?? 'private',
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

  /**
   * Applies a metadata change. The body may be a record read with `GET /model/{name}`: fields
   * the service owns are ignored, and so is a `visibility` equal to the current one; a different
   * one is a 400 pointing to `PUT /model/{name}/access`, never a 200 that changed nothing.
   * `expected` is the If-Match list; an empty one (only tags that can never match) is a 412.
   */
  async updateModel(actor: Actor, name: string, body: ModelDocument, expected: ExpectedRevision): Promise<ModelRecord> {
    const current = await this.authorized(actor, name, 'edit');
    const { name: named, visibility, clearsType, fields } = modelFieldsOf(body);
    if (named !== undefined && named !== name) {
      throw invalid('name_mismatch', `The body names model '${named}' but the path names '${name}'; renaming is not supported`);
    }
    checkMetaBackend(name, fields.meta);
    if (clearsType) throw invalid('invalid_body', `Field 'type' is required and cannot be cleared; send one of ${MODEL_TYPES.join(', ')}, or leave it out`);
    if (visibility !== undefined && visibility !== current.visibility) {
      throw invalid('visibility_not_here',
        `Visibility is changed with PUT /model/${encodeURIComponent(name)}/access {"visibility": "${visibility}"} (by the owner); this PUT changed nothing`);
    }
    if (expected !== 'any' && expected.length === 0) {
      throw new AppError('stale', 'revision_mismatch',
        `If-Match names no tag that can match: MLHub's ETags are strong, like "${current.revision}", and weak tags (W/"…") never match (RFC 9110 §13.1.1)`);
    }
    return this.models.updateModel(name, fields, expected, this.now().toISOString());
  }

  /**
   * The models the actor can see, newest first: public ones, their own, and those shared with
   * them (only their own with `mine`), merged from one index query each.
   */
  async listModels(actor: Actor, options: { limit: number; cursor?: string; mine?: boolean }): Promise<ModelPage> {
    if (options.mine && actor.anonymous) throw new AppError('unauthenticated', 'authentication_required', 'Sign in to list your own models (?mine=1)');
    const before = listingStart(options.cursor);
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
   * idempotent, so a request that fails half-way converges when repeated: one that finds nothing
   * to write records the model in the search change log all the same, since the try before may
   * have written the table and been cut off before its log entry.
   */
  async setAccess(actor: Actor, name: string, body: AccessDocument): Promise<ModelAccess> {
    const model = await this.authorized(actor, name, 'manageAccess');
    const change = accessChangeOf(body, model.owner);
    const now = this.now().toISOString();
    if (change.visibility === 'private' && model.visibility === 'public') await this.refuseUnpublishing(name);
    let writes = 0;
    if (change.grants) {
      const current = (await this.models.getModel(name))?.grants ?? [];
      const wanted = new Map(change.grants.map((grant) => [grant.user, grant.role]));
      const written = change.grants.filter((grant) => current.find((candidate) => candidate.user === grant.user)?.role !== grant.role);
      await this.refuseOffboarded(change.grants, written);
      for (const grant of written) {
        await this.models.putGrant(name, { user: grant.user, role: grant.role, grantedAt: now, grantedBy: actor.id }, model.createdAt);
      }
      const removed = current.filter((grant) => !wanted.has(grant.user));
      for (const stale of removed) await this.models.deleteGrant(name, stale.user);
      writes += written.length + removed.length;
    }
    if (change.visibility && change.visibility !== model.visibility) {
      writes += 1;
      await this.models.setVisibility(name, change.visibility, now);
      // A publication may have begun between the check and the write (it makes the model public
      // after it begins): looking again after the write, one of the two always sees the other.
      if (change.visibility === 'private') {
        try {
          await this.refuseUnpublishing(name);
        } catch (error) {
          await this.models.setVisibility(name, 'public', this.now().toISOString());
          throw error;
        }
      }
    }
    if (writes === 0) await this.models.recordSearchState(name);
    return this.getAccess(actor, name);
  }

  /**
   * Refuses to make private a model with a version published, being published or withdrawn: its
   * DOIs resolve to its pages, which must stay readable by anyone (DataCite: a DOI never stops
   * resolving). Throws 409 model_published.
   */
  private async refuseUnpublishing(name: string): Promise<void> {
    const published = (await this.models.getModel(name))?.versions.filter((version) => holdsDoi(version.publication)) ?? [];
    if (published.length === 0) return;
    throw conflict('model_published', `Model '${name}' has versions with DOIs (${published.map((version) => `v${version.version}: ${version.publication?.doi}`).join(', ')}): they resolve here, so it stays public`);
  }

  /**
   * Refuses, before anything is written, a grant that would give an offboarded user a role: what
   * the offboarding removed stays removed, including after a reinstatement (README "When someone
   * leaves"). Throws 409 user_offboarded naming the grant by its place in the body's list.
   */
  private async refuseOffboarded(grants: readonly { readonly user: string }[], written: readonly { readonly user: string }[]): Promise<void> {
    const offboarded = await Promise.all(written.map((grant) => this.isOffboarded(grant.user)));
    const refused = written.find((_grant, i) => offboarded[i]);
    if (refused === undefined) return;
    const at = grants.findIndex((grant) => grant.user === refused.user);
    throw conflict('user_offboarded', `grants.${at}.user: user '${refused.user}' was offboarded by an administrator and cannot be granted a role; remove the grant from the list`);
  }
}
