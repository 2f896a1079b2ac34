import { loadAuthorized } from '../registry/authorized-model';
import type { ModelStore } from '../registry/model-store';
import { AppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { VersionRecord } from '../versions/version-records';
import type { VersionStore } from '../versions/version-store';
import { versionGone } from '../versions/ready-versions';
import { DataCiteError } from './datacite-client';
import { missingForDoi } from './datacite-metadata';
import { conceptDoiAttributes, versionDoiAttributes } from './doi-attributes';
import { doiNames, type DoiProvider } from './doi-provider';
import { snapshotOf, type Publication } from './publication';

export interface VersionPublishingOptions {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  /** The registration agency, or how to reach it: only registration needs it (a request never calls it). */
  readonly provider: DoiProvider | (() => Promise<DoiProvider>);
  /** The repository's DOI prefix: `10.` and 4 to 9 digits. */
  readonly prefix: string;
  /** DataCite's `publisher`: who makes the models available. */
  readonly publisher: string;
  /** The landing page a DOI resolves to: a version's, or the model's (for its concept DOI). */
  readonly landingUrl: (name: string, version?: number) => string;
  readonly now?: () => Date;
}

/**
 * Publishing a model version with a DOI, in two steps: `request` (on the owner's call) checks the
 * metadata, freezes it beside the bundle's digest and makes the model public; `register` (off the
 * request path, retried until it settles) registers the version DOI and the model's concept DOI
 * with the provider and records the outcome. Both are safe to repeat: the DOIs are named before
 * they are registered, and the provider creates or updates by name.
 */
export class VersionPublishing {
  private readonly now: () => Date;

  constructor(private readonly options: VersionPublishingOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Starts the publication of `name` version `version` by its owner, or answers the one under way
   * or done. Errors: 404 for a model the caller may not see, 403 for anyone but the owner, 409
   * for a version that is not ready, 400 naming the metadata a DOI still lacks.
   */
  async request(actor: Actor, name: string, version: number): Promise<Publication> {
    const { models, versions, prefix } = this.options;
    const model = await loadAuthorized(models, actor, name, 'publish');
    const record = await versions.get(name, version);
    if (!record) throw new AppError('not_found', 'version_not_found', `Model '${name}' has no version ${version}`);
    if (record.status === 'deleted' || record.status === 'aborted') throw versionGone(record, model);
    if (record.publication && record.publication.state !== 'publish_failed') {
      // Asking again also repairs a publication whose model was left private (a crash between the two writes).
      if (record.publication.state !== 'withdrawn') await this.ensurePublic(name);
      return record.publication;
    }
    if (record.status !== 'ready') throw new AppError('conflict', 'version_not_ready', `Version ${version} of '${name}' is ${record.status}: only a ready version can be published`);
    const snapshot = snapshotOf(model, record);
    const missing = missingForDoi(snapshot);
    if (missing.length > 0) throw new AppError('invalid', 'metadata_incomplete', `A DOI needs more of model '${name}': set ${missing.join(', ')} (PUT /model/${name}), then publish again`);
    const names = doiNames(prefix, name);
    const publication: Publication = {
      state: 'publishing', doi: names.version(version), conceptDoi: names.concept,
      requestedAt: this.now().toISOString(), requestedBy: actor.id, snapshot,
      // A failed try may have left a DOI at the agency: it stays known, whatever this try does.
      ...(record.publication?.doiRegistered ? { doiRegistered: true } : {}),
    };
    const outcome = await versions.beginPublication(name, version, publication);
    if (outcome === 'not_ready') throw new AppError('conflict', 'version_not_ready', `Version ${version} of '${name}' is no longer ready`);
    // Public once the publication began, and only then, so a refused request changes nothing: a
    // crash before this write is made good by registration (which makes no DOI findable for a
    // private model) or by asking again; a change to private that raced it is undone, here or by
    // its own second look (ModelRegistry.setAccess).
    await this.ensurePublic(name);
    if (outcome === 'exists') return (await versions.get(name, version))?.publication ?? publication;
    return publication;
  }

  /**
   * Makes the model public if it is not, so that what its DOIs resolve to is readable by anyone.
   * A model no longer active (being deleted) is left alone: its removal withdraws the publication.
   */
  private async ensurePublic(name: string): Promise<void> {
    const model = await this.options.models.getModelRecord(name);
    if (model?.state !== 'active' || model.visibility === 'public') return;
    await this.options.models.setVisibility(name, 'public', this.now().toISOString()).catch((error: unknown) => {
      if (!(error instanceof AppError && error.code === 'model_not_found')) throw error;
    });
  }

  /**
   * Does the DOI work a version awaits, whatever it is: registers a `publishing` one, hides a
   * withdrawn one's DOI. What a queue message or the sweep asks for (functions/handlers/register-dois.ts).
   */
  async advance(name: string, version: number): Promise<Publication | undefined> {
    const publication = (await this.options.versions.get(name, version))?.publication;
    if (publication?.state === 'withdrawn') return this.withdraw(name, version);
    return this.register(name, version);
  }

  /**
   * Registers a `publishing` version's DOI and its model's concept DOI, then records the outcome:
   * `published`, or `publish_failed` with the provider's reasons when it refuses the metadata.
   * Throws when the provider may answer later (429, 5xx, unreachable), so the caller retries.
   * A version that is not `publishing` is left as it is; one withdrawn while its DOIs were being
   * registered has them hidden at once.
   */
  async register(name: string, version: number): Promise<Publication | undefined> {
    const { versions } = this.options;
    const record = await versions.get(name, version);
    const publication = record?.publication;
    if (!record || publication?.state !== 'publishing') return publication;
    // No DOI is made findable for a page anyone cannot read.
    await this.ensurePublic(name);
    const provider = await this.provider();
    let versionRegistered = false;
    try {
      await provider.publish(publication.doi, this.versionAttributes(publication));
      versionRegistered = true;
      await provider.publish(publication.conceptDoi, this.conceptAttributes(await versions.list(name), publication).attributes);
    } catch (error) {
      if (error instanceof DataCiteError && !error.retryable) {
        let reason = reasonOf(error);
        if (versionRegistered) {
          // The version DOI went through and the concept DOI was refused: it is hidden again, so
          // that no findable DOI is left for a version that is not published (a hide the agency
          // may still take is retried with the whole registration; one it refuses is said).
          const unhidden = await settleWithdrawn(provider, publication.doi, this.versionAttributes(publication)).then(() => undefined, (hideError: unknown) => {
            if (hideError instanceof DataCiteError && !hideError.retryable) return reasonOf(hideError);
            throw hideError;
          });
          if (unhidden !== undefined) reason += `; and the version DOI, registered before that, could not be hidden: ${unhidden}`;
        }
        const failed = { state: 'publish_failed' as const, reason, ...(versionRegistered || publication.doiRegistered ? { doiRegistered: true } : {}) };
        if (await versions.settlePublication(name, version, failed)) return { ...publication, ...failed };
        return this.withdraw(name, version);
      }
      throw error;
    }
    const publishedAt = this.now().toISOString();
    if (await versions.settlePublication(name, version, { state: 'published', publishedAt })) return { ...publication, state: 'published', publishedAt };
    // Withdrawn while the agency was registering it: what was just made findable is hidden again.
    return this.withdraw(name, version);
  }

  /**
   * Hides a withdrawn version's DOI (DataCite `hide`, with a `Withdrawn` date and the reason): it
   * still resolves, to the tombstone, and leaves search. A DOI the agency never registered has
   * nothing to hide; a draft is deleted. The concept DOI then describes the newest version still
   * published (or being published), or, when none is left, is hidden too. It asks the agency
   * every time, even after a hide was recorded: a registration running beside the withdrawal may
   * have made the DOI findable since. Throws when the agency may answer later; a refusal is
   * recorded as `hideFailure` (deleting the version again asks again).
   */
  async withdraw(name: string, version: number): Promise<Publication | undefined> {
    const { versions } = this.options;
    const publication = (await versions.get(name, version))?.publication;
    if (publication?.state !== 'withdrawn') return publication;
    const provider = await this.provider();
    // The version DOI and the concept DOI are tried apart: a refusal of one does not leave the other undone.
    const [own, concept] = await Promise.allSettled([
      settleWithdrawn(provider, publication.doi, this.versionAttributes(publication)),
      this.settleConcept(provider, name, publication.conceptDoi),
    ]);
    for (const outcome of [own, concept]) {
      if (outcome.status === 'rejected' && !(outcome.reason instanceof DataCiteError && !outcome.reason.retryable)) throw outcome.reason;
    }
    const refusals = [own, concept].flatMap((outcome) => (outcome.status === 'rejected' ? [reasonOf(outcome.reason as DataCiteError)] : []));
    if (refusals.length > 0) {
      const hideFailure = refusals.join('; ');
      await versions.settleWithdrawal(name, version, { hideFailure });
      return { ...publication, hideFailure };
    }
    const hiddenAt = this.now().toISOString();
    const registered = own.status === 'fulfilled' && own.value;
    await versions.settleWithdrawal(name, version, { hiddenAt, registered });
    return { ...publication, hiddenAt, registered };
  }

  /**
   * Brings the concept DOI in line with the model's versions: published while any version is
   * published or being published, withdrawn once none is. Two jobs may decide from lists read at
   * different moments, and the last write wins; so after writing, each reads the versions again
   * and writes again if the answer changed, until it holds.
   */
  private async settleConcept(provider: DoiProvider, name: string, conceptDoi: string): Promise<void> {
    let decided: boolean | undefined;
    for (let round = 0; round < CONCEPT_ROUNDS; round += 1) {
      const concept = this.conceptAttributes(await this.options.versions.list(name));
      if (concept.withdrawn === decided) return;
      if (concept.withdrawn) await settleWithdrawn(provider, conceptDoi, concept.attributes);
      else await provider.publish(conceptDoi, concept.attributes);
      decided = concept.withdrawn;
    }
  }

  private async provider(): Promise<DoiProvider> {
    return typeof this.options.provider === 'function' ? this.options.provider() : this.options.provider;
  }

  private versionAttributes(publication: Publication): Record<string, unknown> {
    return versionDoiAttributes(publication, this.options);
  }

  private conceptAttributes(all: readonly VersionRecord[], including?: Publication): { attributes: Record<string, unknown>; withdrawn: boolean } {
    return conceptDoiAttributes(all, this.options, including);
  }
}

/** Writes of the concept DOI one withdrawal makes at most, when other jobs keep changing the versions under it. */
const CONCEPT_ROUNDS = 4;

const reasonOf = (error: DataCiteError): string => (error.reasons.length > 0 ? error.reasons.join('; ') : error.message);

/**
 * Brings a withdrawn DOI to `registered` with its withdrawal in the metadata, from whatever state
 * it is in: findable is hidden, registered is updated, a draft is deleted, none is left alone.
 * Safe to repeat (DataCite refuses to hide a DOI that is not findable). True if the DOI resolves.
 */
async function settleWithdrawn(provider: DoiProvider, doi: string, attributes: Record<string, unknown>): Promise<boolean> {
  const current = await provider.get(doi);
  if (!current) return false;
  if (current.state === 'findable') await provider.hide(doi, attributes);
  else if (current.state === 'registered') await provider.update(doi, attributes);
  else {
    await provider.deleteDraft(doi);
    return false;
  }
  return true;
}
