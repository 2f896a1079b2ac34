import { authorize, type ModelAction } from '../access/access-policy';
import type { Actor } from '../identity/actor';
import { checkModelName } from './model-name';
import type { ModelRecord } from './model-records';
import type { ModelStore } from './model-store';

/** Loads a model's record with the actor's grant, and lets the action through or refuses it. */
export async function loadAuthorized(models: ModelStore, actor: Actor, name: string, action: ModelAction): Promise<ModelRecord> {
  checkModelName(name);
  const { model, grant } = await models.getModelAccess(name, actor.id);
  authorize(actor, name, model, grant, action);
  return model as ModelRecord;
}
