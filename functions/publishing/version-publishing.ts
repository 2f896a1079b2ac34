import { loadAuthorized } from '../registry/authorized-model';
import type { ModelStore } from '../registry/model-store';
import { AppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { VersionRecord } from '../versions/version-records';
import type { VersionStore } from '../versions/version-store';
import { DataCiteError } from './datacite-client';
import { dataciteAttributes, missingForDoi } from './datacite-metadata';
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
    if (!record || record.status === 'deleted' || record.status === 'aborted') throw new AppError('not_found', 'version_not_found', `Model '${name}' has no version ${version}`);
    if (record.publication && record.publication.state !== 'publish_failed') return record.publication;
    if (record.status !== 'ready') throw new AppError('conflict', 'version_not_ready', `Version ${version} of '${name}' is ${record.status}: only a ready version can be published`);
    const snapshot = snapshotOf(model, record);
    const missing = missingForDoi(snapshot);
    if (missing.length > 0) throw new AppError('invalid', 'metadata_incomplete', `A DOI needs more of model '${name}': set ${missing.join(', ')} (PUT /model/${name}), then publish again`);
    const names = doiNames(prefix, name);
    const publication: Publication = {
      state: 'publishing', doi: names.version(version), conceptDoi: names.concept,
      requestedAt: this.now().toISOString(), requestedBy: actor.id, snapshot,
    };
    const outcome = await versions.beginPublication(name, version, publication);
    if (outcome === 'not_ready') throw new AppError('conflict', 'version_not_ready', `Version ${version} of '${name}' is no longer ready`);
    if (model.visibility !== 'public') await models.setVisibility(name, 'public', this.now().toISOString());
    if (outcome === 'exists') return (await versions.get(name, version))?.publication ?? publication;
    return publication;
  }

  /**
   * Registers a `publishing` version's DOI and its model's concept DOI, then records the outcome:
   * `published`, or `publish_failed` with the provider's reasons when it refuses the metadata.
   * Throws when the provider may answer later (429, 5xx, unreachable), so the caller retries.
   * A version that is not `publishing` is left as it is.
   */
  async register(name: string, version: number): Promise<Publication | undefined> {
    const { versions } = this.options;
    const record = await versions.get(name, version);
    const publication = record?.publication;
    if (!record || publication?.state !== 'publishing') return publication;
    const provider = typeof this.options.provider === 'function' ? await this.options.provider() : this.options.provider;
    try {
      await provider.publish(publication.doi, this.versionAttributes(publication));
      await provider.publish(publication.conceptDoi, this.conceptAttributes(publication, await versions.list(name)));
    } catch (error) {
      if (error instanceof DataCiteError && !error.retryable) {
        const reason = error.reasons.length > 0 ? error.reasons.join('; ') : error.message;
        await versions.settlePublication(name, version, { state: 'publish_failed', reason });
        return { ...publication, state: 'publish_failed', reason };
      }
      throw error;
    }
    const publishedAt = this.now().toISOString();
    await versions.settlePublication(name, version, { state: 'published', publishedAt });
    return { ...publication, state: 'published', publishedAt };
  }

  private versionAttributes(publication: Publication): Record<string, unknown> {
    const { snapshot } = publication;
    return dataciteAttributes(snapshot, {
      doi: publication.doi, url: this.options.landingUrl(snapshot.name, snapshot.version), publisher: this.options.publisher,
      issued: publication.requestedAt, conceptDoi: publication.conceptDoi,
    });
  }

  /**
   * The concept DOI describes the newest published version (this one included) and resolves to
   * the model's page; it lists every published version DOI as `HasVersion`.
   */
  private conceptAttributes(publication: Publication, all: readonly VersionRecord[]): Record<string, unknown> {
    const published = all
      .map((version) => version.publication)
      .filter((candidate): candidate is Publication => candidate?.state === 'published' || candidate?.doi === publication.doi)
      .sort((a, b) => a.snapshot.version - b.snapshot.version);
    const newest = published.at(-1) ?? publication;
    const attributes = dataciteAttributes(newest.snapshot, {
      doi: publication.conceptDoi, url: this.options.landingUrl(newest.snapshot.name), publisher: this.options.publisher, issued: published[0]?.requestedAt ?? publication.requestedAt,
    });
    const related = (attributes.relatedIdentifiers as Record<string, unknown>[]) ?? [];
    return {
      ...attributes,
      version: undefined,
      relatedIdentifiers: [...related, ...published.map((version) => ({ relatedIdentifier: version.doi, relatedIdentifierType: 'DOI', relationType: 'HasVersion' }))],
    };
  }
}
