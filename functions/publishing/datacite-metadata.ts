import type { ScholarlyMetadata } from '../contracts/scholarly-metadata';

/**
 * DataCite Metadata Schema 4.5 attributes for one model version, as the DataCite REST API takes
 * them in `data.attributes` (support.datacite.org, "DataCite Metadata Schema 4.5" and "REST API
 * Guide"). Zenodo and InvenioRDM file trained models under resourceTypeGeneral `Model`.
 */

export const DATACITE_SCHEMA_VERSION = 'http://datacite.org/schema/kernel-4';

/** What a model version contributes to its DOI record. */
export interface PublishedVersion {
  readonly name: string;
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
  readonly description?: string | null;
  readonly discipline?: string | null;
  readonly metadata: ScholarlyMetadata;
}

export interface DoiContext {
  readonly doi: string;
  /** The landing page the DOI resolves to. */
  readonly url: string;
  readonly publisher: string;
  /** ISO 8601 date of publication. */
  readonly issued: string;
  /** The model's concept DOI, which every version DOI is a version of. */
  readonly conceptDoi?: string;
  /** When and why it was withdrawn: a `Withdrawn` date (schema 4.5 §8.1, dateType) with the reason as its dateInformation. */
  readonly withdrawn?: { readonly date: string; readonly reason: string };
}

/** The fields a DOI record cannot go without, by the schema's mandatory properties, in MLHub's names. */
export function missingForDoi(version: PublishedVersion): string[] {
  const { metadata } = version;
  const missing: string[] = [];
  if (!metadata.title) missing.push('title');
  if (!metadata.authors || !metadata.authors.some((author) => author.role === 'creator')) missing.push('authors (at least one with role creator)');
  if (!metadata.license) missing.push('license');
  if (!version.description) missing.push('description');
  return missing;
}

const ORCID = 'https://orcid.org/';

function person(author: NonNullable<ScholarlyMetadata['authors']>[number]) {
  return {
    name: author.name,
    nameType: author.name_type ?? 'Personal',
    nameIdentifiers: author.orcid ? [{ nameIdentifier: `${ORCID}${author.orcid}`, nameIdentifierScheme: 'ORCID', schemeUri: ORCID }] : [],
    affiliation: author.affiliation
      ? [{ name: author.affiliation.name, ...(author.affiliation.ror ? { affiliationIdentifier: author.affiliation.ror, affiliationIdentifierScheme: 'ROR', schemeUri: 'https://ror.org' } : {}) }]
      : [],
  };
}

/**
 * The attributes of a version's DOI record. Authors with role `creator` are DataCite creators;
 * the others are contributors with their role as contributorType.
 */
export function dataciteAttributes(version: PublishedVersion, context: DoiContext): Record<string, unknown> {
  const { metadata } = version;
  const authors = metadata.authors ?? [];
  return {
    doi: context.doi,
    url: context.url,
    types: { resourceTypeGeneral: 'Model', resourceType: 'Trained machine learning model' },
    creators: authors.filter((author) => author.role === 'creator').map(person),
    contributors: authors.filter((author) => author.role !== 'creator').map((author) => ({ ...person(author), contributorType: author.role })),
    titles: metadata.title ? [{ title: metadata.title }] : [],
    publisher: { name: context.publisher },
    publicationYear: Number(context.issued.slice(0, 4)),
    version: String(version.version),
    descriptions: version.description ? [{ description: version.description, descriptionType: 'Abstract' }] : [],
    subjects: [...(metadata.keywords ?? []).map((subject) => ({ subject })), ...(version.discipline ? [{ subject: version.discipline }] : [])],
    rightsList: metadata.license ? [{ rightsIdentifier: metadata.license, rightsIdentifierScheme: 'SPDX', schemeUri: 'https://spdx.org/licenses/' }] : [],
    relatedIdentifiers: [
      ...(metadata.related_identifiers ?? []).map((related) => ({ relatedIdentifier: related.identifier, relatedIdentifierType: related.identifier_type, relationType: related.relation_type })),
      ...(context.conceptDoi ? [{ relatedIdentifier: context.conceptDoi, relatedIdentifierType: 'DOI', relationType: 'IsVersionOf' }] : []),
    ],
    fundingReferences: (metadata.funding ?? []).map((funding) => ({
      funderName: funding.funder_name,
      ...(funding.funder_identifier ? { funderIdentifier: funding.funder_identifier, funderIdentifierType: 'ROR' } : {}),
      ...(funding.award_number ? { awardNumber: funding.award_number } : {}),
      ...(funding.award_title ? { awardTitle: funding.award_title } : {}),
    })),
    sizes: [`${version.size} bytes`],
    formats: ['application/gzip'],
    dates: [
      { date: context.issued.slice(0, 10), dateType: 'Issued' },
      ...(context.withdrawn ? [{ date: context.withdrawn.date.slice(0, 10), dateType: 'Withdrawn', dateInformation: context.withdrawn.reason }] : []),
    ],
    schemaVersion: DATACITE_SCHEMA_VERSION,
  };
}
