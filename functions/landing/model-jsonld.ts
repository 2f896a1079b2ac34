import { isOrganization } from '../contracts/scholarly-metadata';
import type { CitedWork } from '../citations/cited-work';
import { doiUrl, orcidUrl, relatedUrl, spdxUrl, type RelatedIdentifier, type RelationType } from '../citations/related-links';

/**
 * FAIR4ML 0.1.0 (RDA FAIR4ML task force, https://w3id.org/fair4ml/0.1.0): a schema.org extension
 * whose `fair4ml:MLModel` is a `schema:CreativeWork`. Its terms are prefixed `fair4ml:` beside
 * schema.org's.
 */
export const JSONLD_CONTEXT = ['https://schema.org', { fair4ml: 'https://w3id.org/fair4ml/' }] as const;

/**
 * Where each DataCite relationType goes in schema.org: what the model was made from or needs
 * (`isBasedOn`), what it cites or is documented by (`citation`), and what it is part of or holds
 * (`isPartOf`, `hasPart`). The others (IsCitedBy, IsSourceOf, IsPreviousVersionOf) have no
 * schema.org property pointing that way; the landing page lists them all the same.
 */
const SCHEMA_PROPERTY: Partial<Record<RelationType, 'isBasedOn' | 'citation' | 'isPartOf' | 'hasPart'>> = {
  IsDerivedFrom: 'isBasedOn',
  Requires: 'isBasedOn',
  IsCompiledBy: 'isBasedOn',
  IsNewVersionOf: 'isBasedOn',
  IsVariantFormOf: 'isBasedOn',
  References: 'citation',
  IsSupplementTo: 'citation',
  IsDocumentedBy: 'citation',
  IsDescribedBy: 'citation',
  IsPartOf: 'isPartOf',
  HasPart: 'hasPart',
};

function relatedProperties(related: readonly RelatedIdentifier[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const item of related) {
    const property = SCHEMA_PROPERTY[item.relation_type];
    if (property) (grouped[property] ??= []).push(relatedUrl(item));
  }
  return grouped;
}

/**
 * A cited work (functions/citations/cited-work.ts) as schema.org JSON-LD: what the landing page
 * embeds and what `Accept: application/ld+json` answers. `@type` is
 * `["CreativeWork", "fair4ml:MLModel"]`; `@id` and `identifier` are the DOI's URL (the landing
 * page without one); authors (the record's creators) carry their ORCID URL as `@id`; the licence
 * is its SPDX page; related identifiers go to `isBasedOn`, `citation`, `isPartOf` and `hasPart`
 * (SCHEMA_PROPERTY); a version is `isPartOf` its concept DOI; a withdrawn work is
 * `creativeWorkStatus: "Withdrawn"`.
 */
export function modelJsonLd(work: CitedWork, related: readonly RelatedIdentifier[]): Record<string, unknown> {
  const { snapshot } = work;
  const { metadata } = snapshot;
  const creators = (metadata.authors ?? []).filter((author) => author.role === 'creator');
  const grouped = relatedProperties(related);
  if (work.kind === 'version' && work.conceptDoi) grouped.isPartOf = [doiUrl(work.conceptDoi), ...(grouped.isPartOf ?? [])];
  return {
    '@context': JSONLD_CONTEXT,
    '@type': ['CreativeWork', 'fair4ml:MLModel'],
    '@id': work.url,
    identifier: work.doi ? doiUrl(work.doi) : work.landingUrl,
    url: work.landingUrl,
    name: metadata.title ?? snapshot.name,
    ...(snapshot.description ? { description: snapshot.description } : {}),
    ...(work.version !== undefined ? { version: String(work.version) } : {}),
    ...(creators.length > 0 ? {
      author: creators.map((author) => ({
        '@type': isOrganization(author) ? 'Organization' : 'Person',
        ...(author.orcid ? { '@id': orcidUrl(author.orcid) } : {}),
        name: author.name,
        ...(author.affiliation ? { affiliation: { '@type': 'Organization', ...(author.affiliation.ror ? { '@id': author.affiliation.ror } : {}), name: author.affiliation.name } } : {}),
      })),
    } : {}),
    ...(metadata.license ? { license: spdxUrl(metadata.license) } : {}),
    ...(metadata.keywords && metadata.keywords.length > 0 ? { keywords: metadata.keywords } : {}),
    ...(work.kind === 'unpublished' ? { dateModified: work.issued.slice(0, 10) } : { datePublished: work.issued.slice(0, 10) }),
    publisher: { '@type': 'Organization', name: work.publisher },
    ...(snapshot.discipline ? { about: snapshot.discipline } : {}),
    ...grouped,
    ...(work.withdrawn ? { creativeWorkStatus: 'Withdrawn' } : {}),
  };
}
