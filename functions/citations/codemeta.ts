import { relatedUrl, spdxUrl } from './related-links';
import { isOrganization } from '../contracts/scholarly-metadata';
import { parse as parseName } from '@citation-js/name';
import type { CitedWork } from './cited-work';
import { RESOURCE_TYPE } from './csl-item';

/** CodeMeta 3.0's JSON-LD context (https://codemeta.github.io/terms/): schema.org terms and CodeMeta's own. */
export const CODEMETA_CONTEXT = 'https://w3id.org/codemeta/3.0';

/** schema.org's givenName and familyName, where the name splits into them (csl-item.ts splits names the same way). */
function personalName(name: string): Record<string, string> {
  const parts = parseName(name);
  if (!parts.family) return {};
  const family = [parts['non-dropping-particle'], parts.family].filter(Boolean).join(' ');
  return { ...(parts.given ? { givenName: parts.given } : {}), familyName: family };
}

/**
 * A cited work as a codemeta.json document (CodeMeta 3.0, JSON-LD). The type is schema.org's
 * SoftwareApplication, as the landing page's JSON-LD uses where a type must be schema.org's;
 * `@id` and `identifier` are the DOI's URL (or the landing page without one), authors carry their
 * ORCID URL as `@id`, the licence its SPDX URL, and a withdrawn version schema.org's
 * `creativeWorkStatus` `Withdrawn`.
 */
export function codemetaDocument(work: CitedWork): Record<string, unknown> {
  const { snapshot } = work;
  const { metadata } = snapshot;
  const authors = (metadata.authors ?? []).filter((author) => author.role === 'creator');
  const contributors = (metadata.authors ?? []).filter((author) => author.role !== 'creator');
  const person = (author: (typeof authors)[number]) => ({
    '@type': isOrganization(author) ? 'Organization' : 'Person',
    ...(author.orcid ? { '@id': `https://orcid.org/${author.orcid}` } : {}),
    name: author.name,
    ...(isOrganization(author) ? {} : personalName(author.name)),
    ...(author.affiliation ? { affiliation: { '@type': 'Organization', ...(author.affiliation.ror ? { '@id': author.affiliation.ror } : {}), name: author.affiliation.name } } : {}),
  });
  return {
    '@context': CODEMETA_CONTEXT,
    '@type': 'SoftwareApplication',
    '@id': work.url,
    identifier: work.doi ? work.url : work.landingUrl,
    name: metadata.title ?? snapshot.name,
    applicationCategory: RESOURCE_TYPE,
    ...(snapshot.description ? { description: snapshot.description } : {}),
    ...(work.version !== undefined ? { version: String(work.version) } : {}),
    ...(authors.length > 0 ? { author: authors.map(person) } : {}),
    ...(contributors.length > 0 ? { contributor: contributors.map(person) } : {}),
    ...(metadata.license ? { license: spdxUrl(metadata.license) } : {}),
    ...(metadata.keywords && metadata.keywords.length > 0 ? { keywords: metadata.keywords } : {}),
    ...(snapshot.discipline ? { applicationSubCategory: snapshot.discipline } : {}),
    ...(work.kind === 'unpublished' ? { dateModified: work.issued.slice(0, 10) } : { datePublished: work.issued.slice(0, 10) }),
    publisher: { '@type': 'Organization', name: work.publisher },
    url: work.landingUrl,
    ...(snapshot.size > 0 ? { fileSize: `${snapshot.size}B` } : {}),
    ...(metadata.related_identifiers && metadata.related_identifiers.length > 0
      ? { relatedLink: metadata.related_identifiers.map(relatedUrl) }
      : {}),
    ...(metadata.funding && metadata.funding.length > 0
      ? { funding: metadata.funding.map((funding) => ({ '@type': 'Grant', ...(funding.award_number ? { identifier: funding.award_number } : {}), ...(funding.award_title ? { name: funding.award_title } : {}), funder: { '@type': 'Organization', ...(funding.funder_identifier ? { '@id': funding.funder_identifier } : {}), name: funding.funder_name } })) }
      : {}),
    ...(work.withdrawn ? { creativeWorkStatus: 'Withdrawn' } : {}),
  };
}
