import { AppError, isAppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { isWithdrawn } from '../publishing/tombstones';
import type { ModelRecord } from '../registry/model-records';
import type { ModelRegistry } from '../registry/model-registry';
import type { ModelStore } from '../registry/model-store';
import type { ReadyVersions } from '../versions/ready-versions';
import type { VersionRecord } from '../versions/version-records';

export interface CitableModelDeps {
  readonly registry: Pick<ModelRegistry, 'getModel'>;
  readonly models: Pick<ModelStore, 'getModel'>;
  /** Needed to cite a version only: a function that answers the model's URL alone does without it (and without the S3 client behind it). */
  readonly versions?: Pick<ReadyVersions, 'version'>;
}

/**
 * The model and versions a citation reads, as `GET /model/{name}` shows them to the caller: one
 * query of the model's items. A requested version that is not among them answers as
 * `GET …/versions/{n}` does: 404, or 410 once it ended. A withdrawn version is cited even when
 * its whole model was withdrawn: its DOI resolves for ever, and its tombstone is anyone's to read
 * (functions/publishing/tombstones.ts); the model itself then answers its tombstone (410).
 */
export async function citableModel(deps: CitableModelDeps, actor: Actor, name: string, requested: number | undefined): Promise<{ model: ModelRecord; versions: readonly VersionRecord[] }> {
  let found: { model: ModelRecord; versions: readonly VersionRecord[] };
  try {
    found = await deps.registry.getModel(actor, name);
  } catch (error) {
    if (requested !== undefined && isAppError(error) && error.code === 'model_withdrawn') {
      const withdrawn = await deps.models.getModel(name);
      const version = withdrawn?.versions.find((candidate) => candidate.version === requested);
      if (withdrawn && version && isWithdrawn(version)) return { model: withdrawn.model, versions: [version] };
    }
    throw error;
  }
  if (requested !== undefined && !found.versions.some((version) => version.version === requested)) {
    if (!deps.versions) throw new Error('citableModel: citing a version needs deps.versions');
    await deps.versions.version(actor, name, requested);
    // The version was there when read again: it appeared between the two reads.
    throw new AppError('not_found', 'version_not_found', `Version ${requested} of model '${name}' was not there when the citation read the model; ask again`);
  }
  return found;
}
