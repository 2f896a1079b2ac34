import { AppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { ModelRecord } from '../registry/model-records';
import { modelWithdrawn } from '../publishing/tombstones';

export type GrantRole = 'read' | 'write';
export type AccessLevel = 'none' | 'read' | 'write' | 'owner';

/** Everything one can do to a model, and the least access each needs. */
export const REQUIRED_LEVEL = {
  view: 'read',
  download: 'read',
  predict: 'read',
  edit: 'write',
  upload: 'write',
  viewAccess: 'write',
  manageAccess: 'owner',
  delete: 'owner',
  publish: 'owner',
  deploy: 'owner',
} as const satisfies Record<string, AccessLevel>;

export type ModelAction = keyof typeof REQUIRED_LEVEL;

const RANK: Readonly<Record<AccessLevel, number>> = { none: 0, read: 1, write: 2, owner: 3 };

export const atLeast = (level: AccessLevel, needed: AccessLevel): boolean => RANK[level] >= RANK[needed];

/** What the actor may do to the model: owner, a grant, public reading, or nothing. */
export function accessLevel(actor: Actor, model: Pick<ModelRecord, 'owner' | 'visibility'>, grant: GrantRole | undefined): AccessLevel {
  if (!actor.anonymous && actor.id === model.owner) return 'owner';
  if (!actor.anonymous && grant) return grant;
  return model.visibility === 'public' ? 'read' : 'none';
}

/** The one answer for "no such model": a model someone may not see does not exist for them. */
export const modelNotFound = (name: string): AppError => new AppError('not_found', 'model_not_found', `Model '${name}' does not exist`);

const DENIALS: Readonly<Record<ModelAction, string>> = {
  view: 'see',
  download: 'download',
  predict: 'run',
  edit: 'change',
  upload: 'upload versions of',
  viewAccess: 'see the sharing settings of',
  manageAccess: 'change the sharing settings of',
  delete: 'delete',
  publish: 'publish',
  deploy: 'deploy or undeploy',
};

/**
 * The single access check every model operation passes through. A model the actor may not see
 * answers exactly as a missing one (404); one they may see but not act on answers 403.
 */
export function authorize(actor: Actor, name: string, model: ModelRecord | undefined, grant: GrantRole | undefined, action: ModelAction): AccessLevel {
  // A withdrawn model's tombstone is for anyone to read, whatever they asked to do; and so is a
  // model with DOIs while its withdrawal goes on (its DOIs never answer 404).
  if (model?.state === 'withdrawn' || (model?.state === 'deleting' && model.withdrawal)) throw modelWithdrawn(model);
  if (!model || model.state !== 'active') throw modelNotFound(name);
  const level = accessLevel(actor, model, grant);
  if (level === 'none') throw modelNotFound(name);
  if (!atLeast(level, REQUIRED_LEVEL[action])) {
    const who = REQUIRED_LEVEL[action] === 'owner' ? 'only its owner' : 'only its owner and writers';
    throw new AppError('forbidden', 'forbidden', `You may not ${DENIALS[action]} model '${name}': ${who} may`);
  }
  return level;
}

/** Everything one can do to a dataset, and the least access each needs (no grants yet: owner or public reading). */
export const DATASET_REQUIRED_LEVEL = {
  view: 'read',
  upload: 'owner',
  delete: 'owner',
} as const satisfies Record<string, AccessLevel>;

export type DatasetAction = keyof typeof DATASET_REQUIRED_LEVEL;

/** The one answer for "no such dataset": one the caller may not see does not exist for them. */
export const datasetNotFound = (id: string): AppError => new AppError('not_found', 'dataset_not_found', `Dataset '${id.slice(0, 64)}' does not exist`);

const DATASET_DENIALS: Readonly<Record<DatasetAction, string>> = { view: 'see', upload: 'upload to', delete: 'delete' };

/**
 * The access check every dataset operation passes through, by the model rule (accessLevel): its
 * owner may do all, anyone may read a public one. One the actor may not see answers exactly as
 * a missing one (404 dataset_not_found, for every route); one they may see but not change, 403.
 */
export function authorizeDataset(actor: Actor, id: string, dataset: Pick<ModelRecord, 'owner' | 'visibility'> | undefined, action: DatasetAction): AccessLevel {
  const level = dataset ? accessLevel(actor, dataset, undefined) : 'none';
  if (level === 'none') throw datasetNotFound(id);
  if (!atLeast(level, DATASET_REQUIRED_LEVEL[action])) {
    throw new AppError('forbidden', 'forbidden', `You may not ${DATASET_DENIALS[action]} dataset '${id}': only its owner may`);
  }
  return level;
}
