import type { RELATION_TYPES, ScholarlyMetadata } from '../contracts/scholarly-metadata';

export type RelatedIdentifier = NonNullable<ScholarlyMetadata['related_identifiers']>[number];
export type RelationType = (typeof RELATION_TYPES)[number];

/** An identifier as a URL a browser and a harvester can follow: doi.org, arxiv.org, Software Heritage, or the URL itself. */
export function relatedUrl(related: RelatedIdentifier): string {
  switch (related.identifier_type) {
    case 'DOI': return `https://doi.org/${related.identifier}`;
    case 'arXiv': return `https://arxiv.org/abs/${related.identifier}`;
    case 'SWHID': return `https://archive.softwareheritage.org/${related.identifier}`;
    case 'URL': return related.identifier;
  }
}

export const doiUrl = (doi: string): string => `https://doi.org/${doi}`;
export const orcidUrl = (orcid: string): string => `https://orcid.org/${orcid}`;
/** A licence id's URI on the SPDX License List (its page), as CodeMeta and schema.org name a licence. */
export const spdxUrl = (license: string): string => `https://spdx.org/licenses/${license}`;
