import type { CitedWork } from '../citations/cited-work';
import { doiUrl, orcidUrl, spdxUrl } from '../citations/related-links';
import type { TombstoneView } from './landing-page';

/** One typed link (RFC 8288): its target, relation, and the media type found there. */
export interface TypedLink {
  readonly href: string;
  readonly rel: 'cite-as' | 'describedby' | 'item' | 'license' | 'author' | 'type';
  readonly type?: string;
}

/**
 * The signposting links of a landing page (FAIR Signposting Profile, level 1,
 * https://signposting.org/FAIR/): `cite-as` the DOI's URL (absent without a DOI: a landing page is
 * not a persistent identifier); `describedby` the same URL's DataCite JSON and JSON-LD, which
 * content negotiation answers; `item` the bundle's download (`bundle`, when there is one to
 * fetch); `license` the SPDX page; `author` each creator's ORCID URL; and `type` schema.org's
 * CreativeWork, and AboutPage for the page itself.
 */
export function signpostingLinks(work: CitedWork, bundle: string | undefined): TypedLink[] {
  const { metadata } = work.snapshot;
  return [
    ...(work.doi ? [{ href: doiUrl(work.doi), rel: 'cite-as' as const }] : []),
    { href: work.landingUrl, rel: 'describedby', type: 'application/vnd.datacite.datacite+json' },
    { href: work.landingUrl, rel: 'describedby', type: 'application/ld+json' },
    ...(bundle ? [{ href: bundle, rel: 'item' as const, type: 'application/gzip' }] : []),
    ...(metadata.license ? [{ href: spdxUrl(metadata.license), rel: 'license' as const }] : []),
    ...(metadata.authors ?? []).filter((author) => author.role === 'creator' && author.orcid).map((author) => ({ href: orcidUrl(author.orcid as string), rel: 'author' as const })),
    { href: 'https://schema.org/CreativeWork', rel: 'type' },
    { href: 'https://schema.org/AboutPage', rel: 'type' },
  ];
}

/**
 * The signposting links of a tombstone page (410): `cite-as` the DOI, which still resolves here,
 * `author` each creator's ORCID URL, and `type`; nothing to describe it by or fetch.
 */
export function tombstoneLinks(tombstone: TombstoneView): TypedLink[] {
  return [
    ...(tombstone.doi ? [{ href: doiUrl(tombstone.doi), rel: 'cite-as' as const }] : []),
    ...tombstone.authors.filter((author) => (author.role ?? 'creator') === 'creator' && author.orcid).map((author) => ({ href: orcidUrl(author.orcid as string), rel: 'author' as const })),
    { href: 'https://schema.org/CreativeWork', rel: 'type' },
    { href: 'https://schema.org/AboutPage', rel: 'type' },
  ];
}

/**
 * A URI as a Link header's target (RFC 8288 §3): characters a URI may not hold (`<`, `>`, `"`,
 * spaces, controls, non-ASCII) percent-encoded as UTF-8, so that no value can end the target or
 * the header.
 */
const linkTarget = (href: string): string => href.replace(/[^\x21-\x7e]|[<>"]/gu, (character) => encodeURIComponent(character));

/** The links as one `Link` header value. */
export const linkHeader = (links: readonly TypedLink[]): string =>
  links.map((link) => `<${linkTarget(link.href)}>; rel="${link.rel}"${link.type ? `; type="${link.type}"` : ''}`).join(', ');
