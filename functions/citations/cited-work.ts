import { AppError, notFound } from '../errors/app-error';
import { snapshotOf } from '../publishing/publication';
import type { PublishedVersion } from '../publishing/datacite-metadata';
import type { ModelRecord } from '../registry/model-records';
import type { VersionRecord } from '../versions/version-records';

/** What a citation needs from the deployment and the moment it is made. */
export interface CitationContext {
  /** The deployment's name as DataCite's `publisher` (MLHUB_DOI_PUBLISHER, default `MLHub`). */
  readonly publisher: string;
  /** The API's base URL, ending in `/`: landing pages are `<base>model/<name>[/versions/<n>]`. */
  readonly landingBaseUrl: string;
  /** When the citation is made (ISO 8601): the access date of a citation without a DOI. */
  readonly now: string;
}

/**
 * What a citation cites, decided once for every format:
 * - `version`: a published (or withdrawn) version, by its version DOI, as it was published;
 * - `concept`: the model by its concept DOI, described by its newest published version (with
 *   none left published, by its newest withdrawn one, and withdrawn itself);
 * - `unpublished`: a model or version without a DOI, by its landing page URL, with the access
 *   date, as the model's metadata reads now.
 */
export interface CitedWork {
  readonly kind: 'version' | 'concept' | 'unpublished';
  /** The metadata cited: the frozen snapshot of a published version, else the model's current metadata. */
  readonly snapshot: PublishedVersion;
  /** The version number cited; absent for a concept DOI (as its DOI record has none), and for a model without a DOI cited without one. */
  readonly version?: number;
  readonly doi?: string;
  readonly conceptDoi?: string;
  /** Where the work is found: `https://doi.org/<doi>`, or the landing page without one. */
  readonly url: string;
  /** The landing page: what the DOI resolves to. */
  readonly landingUrl: string;
  /**
   * When it was published (ISO 8601), as its DOI record says (doi-attributes.ts): when publishing
   * was asked for, for a concept DOI its first version's; for a work without a DOI, when it last changed.
   */
  readonly issued: string;
  /** When it was read (ISO 8601): for a work without a DOI only, whose content may change. */
  readonly accessed?: string;
  /** A withdrawn version's withdrawal. */
  readonly withdrawn?: { readonly date: string; readonly reason: string | null };
  readonly publisher: string;
}

export const landingUrl = (base: string, name: string, version?: number): string =>
  `${base}model/${encodeURIComponent(name)}${version === undefined ? '' : `/versions/${version}`}`;

const doiUrl = (doi: string): string => `https://doi.org/${doi}`;

/** The model's metadata as it is now, for a work without a DOI; `version` gives its size and digest. */
function currentSnapshot(model: ModelRecord, version: VersionRecord | undefined): PublishedVersion {
  return snapshotOf(model, version ?? { version: 0, sha256: '', size: 0 });
}

/**
 * Decides what a citation of `model` cites (CitedWork's kinds). `versions` are the model's
 * versions as `GET /model/{name}` reads them (withdrawn ones included); `requested` is the
 * version asked for, if any. Throws 404 `version_not_found` for a requested version that is not
 * among them: the caller answers 410 for one that ended first (ReadyVersions.version); and 409
 * `version_not_ready` for one without a DOI whose bundle is pending or was rejected.
 */
export function citedWork(model: ModelRecord, versions: readonly VersionRecord[], requested: number | undefined, context: CitationContext): CitedWork {
  const common = { publisher: context.publisher };
  if (requested !== undefined) {
    const version = versions.find((candidate) => candidate.version === requested);
    if (!version) throw notFound('version_not_found', `Model '${model.name}' has no version ${requested}`);
    const publication = version.publication;
    const landing = landingUrl(context.landingBaseUrl, model.name, version.version);
    if (publication && (publication.state === 'published' || publication.state === 'withdrawn')) {
      return {
        ...common,
        kind: 'version',
        snapshot: publication.snapshot,
        version: version.version,
        doi: publication.doi,
        conceptDoi: publication.conceptDoi,
        url: doiUrl(publication.doi),
        landingUrl: landing,
        issued: publication.requestedAt,
        ...(publication.state === 'withdrawn'
          ? { withdrawn: { date: publication.withdrawnAt ?? version.endedAt ?? context.now, reason: publication.withdrawalReason ?? version.reason ?? null } }
          : {}),
      };
    }
    // A version is a work once its bundle is checked: a pending one may never hold bytes, a rejected one never will.
    if (version.status !== 'ready') throw new AppError('conflict', 'version_not_ready', `Version ${version.version} of model '${model.name}' is ${version.status}: only a ready version can be cited or shown as a work`);
    return { ...common, kind: 'unpublished', snapshot: currentSnapshot(model, version), version: version.version, url: landing, landingUrl: landing, issued: version.createdAt, accessed: context.now };
  }
  const resolving = versions
    .filter((version) => version.publication?.state === 'published' || version.publication?.state === 'withdrawn')
    .sort((a, b) => a.version - b.version);
  // As the concept DOI's record (doi-attributes.ts): the newest version still published, else,
  // with every one withdrawn, the newest withdrawn one, and the concept withdrawn with it.
  const live = resolving.filter((version) => version.publication?.state === 'published');
  const newest = live.at(-1) ?? resolving.at(-1);
  if (newest?.publication) {
    const { publication } = newest;
    const lastWithdrawal = live.length > 0 ? undefined : resolving
      .map((version) => version.publication)
      .filter((candidate) => candidate?.withdrawnAt !== undefined)
      .sort((a, b) => (a?.withdrawnAt ?? '').localeCompare(b?.withdrawnAt ?? ''))
      .at(-1);
    return {
      ...common,
      kind: 'concept',
      snapshot: publication.snapshot,
      doi: publication.conceptDoi,
      conceptDoi: publication.conceptDoi,
      url: doiUrl(publication.conceptDoi),
      landingUrl: landingUrl(context.landingBaseUrl, model.name),
      issued: resolving[0]?.publication?.requestedAt ?? publication.requestedAt,
      ...(live.length === 0 ? { withdrawn: { date: lastWithdrawal?.withdrawnAt ?? context.now, reason: lastWithdrawal?.withdrawalReason ?? null } } : {}),
    };
  }
  const landing = landingUrl(context.landingBaseUrl, model.name);
  return { ...common, kind: 'unpublished', snapshot: currentSnapshot(model, undefined), url: landing, landingUrl: landing, issued: model.updatedAt, accessed: context.now };
}
