import { authorize, modelNotFound } from '../access/access-policy';
import { modelPrefix } from '../bundles/bundle-keys';
import type { BundleStore } from '../bundles/bundle-store';
import type { Actor } from '../identity/actor';
import { checkModelName } from './model-name';
import type { ModelStore } from './model-store';

export interface DeletedModel {
  readonly name: string;
  readonly versions: number;
  readonly objects: number;
}

/** Deleting a model with everything it owns: records, versions, grants and bundle objects. */
export class ModelRemoval {
  constructor(private readonly deps: { readonly models: ModelStore; readonly bundles: BundleStore }) {}

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
    // Open multipart uploads hold parts that no prefix sweep sees.
    for (const session of await this.deps.models.listUploadSessions(name)) {
      if (session.state === 'open' && session.s3UploadId) await this.deps.bundles.abortMultipart(session.bundleKey, session.s3UploadId);
    }
    const objects = await this.deps.bundles.deletePrefix(modelPrefix(name));
    const versions = await this.deps.models.deleteModelItems(name);
    return { name, versions, objects };
  }
}
