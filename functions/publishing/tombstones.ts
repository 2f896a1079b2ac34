import { AppError } from '../errors/app-error';
import type { ModelRecord } from '../registry/model-records';
import type { VersionRecord } from '../versions/version-records';
import type { Publication } from './publication';

const doiUrl = (doi: string): string => `https://doi.org/${doi}`;

/**
 * What stays readable of a withdrawn version, for anyone (Zenodo's and DataCite's practice: a DOI
 * resolves for ever, to a tombstone page once the record is gone): the metadata it was published
 * with, its DOIs, and when and why it was withdrawn. The Tombstone component of the API.
 */
export function versionTombstone(version: VersionRecord & { publication: Publication }) {
  const { publication } = version;
  const metadata = publication.snapshot.metadata;
  return {
    model: version.name,
    version: version.version,
    title: metadata.title ?? null,
    authors: metadata.authors ?? [],
    doi: publication.doi,
    doi_url: doiUrl(publication.doi),
    concept_doi: publication.conceptDoi,
    sha256: publication.snapshot.sha256,
    withdrawn: publication.withdrawnAt ?? version.endedAt ?? null,
    reason: publication.withdrawalReason ?? version.reason ?? null,
    versions: [] as { version: number; doi: string }[],
  };
}

/** What stays readable of a withdrawn model, for anyone: its title and authors, its concept DOI and its versions' DOIs. */
export function modelTombstone(model: ModelRecord) {
  const withdrawal = model.withdrawal;
  return {
    model: model.name,
    version: null,
    title: withdrawal?.published.title ?? model.title ?? null,
    authors: withdrawal?.published.authors ?? model.authors ?? [],
    doi: withdrawal?.conceptDoi ?? null,
    doi_url: withdrawal ? doiUrl(withdrawal.conceptDoi) : null,
    concept_doi: withdrawal?.conceptDoi ?? null,
    sha256: null,
    withdrawn: withdrawal?.at ?? null,
    reason: withdrawal?.reason ?? null,
    versions: withdrawal?.versions.map((version) => ({ version: version.version, doi: version.doi })) ?? [],
  };
}

/** 410 for a withdrawn version (RFC 9110 §15.5.11), with its tombstone. */
export function versionWithdrawn(version: VersionRecord & { publication: Publication }): AppError {
  const tombstone = versionTombstone(version);
  return new AppError('gone', 'version_withdrawn', `Version ${version.version} of model '${version.name}' (DOI ${tombstone.doi}) was withdrawn${tombstone.withdrawn ? ` on ${tombstone.withdrawn}` : ''}${tombstone.reason ? `: ${tombstone.reason}` : ''}`, { details: { tombstone } });
}

/** 410 for a withdrawn model, with its tombstone. */
export function modelWithdrawn(model: ModelRecord): AppError {
  const tombstone = modelTombstone(model);
  return new AppError('gone', 'model_withdrawn', `Model '${model.name}'${tombstone.concept_doi ? ` (DOI ${tombstone.concept_doi})` : ''} was withdrawn${tombstone.withdrawn ? ` on ${tombstone.withdrawn}` : ''}${tombstone.reason ? `: ${tombstone.reason}` : ''}; its name stays reserved`, { details: { tombstone } });
}

/** A version withdrawn after publication: its tombstone answers for it. */
export const isWithdrawn = (version: VersionRecord): version is VersionRecord & { publication: Publication } => version.publication?.state === 'withdrawn';
