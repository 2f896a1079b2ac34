import { withoutInvalidWeights } from '../http/accept';
import Negotiator from 'negotiator';
import { AppError } from '../errors/app-error';
import { visible } from '../contracts/request-errors';
import { CITATION_FORMATS, CITATION_STYLES, DEFAULT_CITATION_STYLE, type CitationFormat, type CitationStyle } from '../citations/citation-formats';

/**
 * The representations of a model's URL and a version's URL (`GET /model/{name}` and
 * `GET /model/{name}/versions/{n}`), chosen by the request's `Accept` header (RFC 9110 §12.5.1),
 * as doi.org and DataCite answer a DOI's URL (DataCite, "DOI Content Negotiation"):
 * - `json`: the JSON record, as the API always answered; also for no `Accept` and `*\/*`;
 * - `citation`: a citation format of functions/citations/ (BibTeX, RIS, CSL-JSON, DataCite JSON,
 *   or formatted text in a CSL style);
 * - `jsonld`: the schema.org JSON-LD the landing page embeds;
 * - `html`: the landing page.
 *
 * This module stays light (no citation engine, no page renderer): the JSON path loads nothing
 * else, and the handlers import the rest only when another representation is chosen.
 */
export type Representation =
  | { readonly kind: 'json' }
  | { readonly kind: 'citation'; readonly format: CitationFormat; readonly style: CitationStyle }
  | { readonly kind: 'jsonld' }
  | { readonly kind: 'html' };

/** The media types answered, in order of preference when the caller weighs several alike (`*\/*` is JSON). */
export const NEGOTIATED_MEDIA_TYPES = [
  'application/json',
  'text/html',
  'application/ld+json',
  'application/x-bibtex',
  'application/x-research-info-systems',
  'application/vnd.citationstyles.csl+json',
  'text/x-bibliography',
  'application/vnd.datacite.datacite+json',
  // The names DataCite's content negotiation also answers to, for JSON-LD and CSL-JSON.
  'application/vnd.schemaorg.ld+json',
  'application/citeproc+json',
] as const;

/** The citation formats answered by their own media type (formatted text is `text/x-bibliography`). */
const NEGOTIATED_FORMATS = ['bibtex', 'ris', 'csl-json', 'datacite-json'] as const satisfies readonly CitationFormat[];

/** A citation format's media type, without its parameters. */
const typeOf = (format: CitationFormat): string => CITATION_FORMATS[format].split(';')[0] as string;

/** The locale formatted text comes in: the CSL locale the citation engine formats with (citation-engine.ts). */
export const BIBLIOGRAPHY_LOCALE = 'en-US';

/**
 * `text/x-bibliography`'s `style` parameter (as doi.org takes it): MLHub's style names
 * (`apa`, `chicago`…) and the CSL style ids they stand for (`chicago-author-date`, `harvard1`).
 */
const STYLE_NAMES: ReadonlyMap<string, CitationStyle> = new Map(
  (Object.entries(CITATION_STYLES) as [CitationStyle, string][]).flatMap(([name, id]) => [[name, name], [id, name]] as [string, CitationStyle][]),
);

/**
 * Every variant offered to negotiator, with what it stands for. Negotiator matches a range with
 * parameters only to a variant with the same parameters, so the variants spell out the ones
 * callers send: `charset=utf-8` on every type, and `style` and `locale` (en-US only) on
 * `text/x-bibliography`; any other parameter matches nothing, and is refused (406).
 */
const VARIANTS: ReadonlyMap<string, Representation> = new Map<string, Representation>([
  ['application/json', { kind: 'json' }],
  ['text/html', { kind: 'html' }],
  ['application/ld+json', { kind: 'jsonld' }],
  ['application/vnd.schemaorg.ld+json', { kind: 'jsonld' }],
  ['application/citeproc+json', { kind: 'citation', format: 'csl-json', style: DEFAULT_CITATION_STYLE }],
  ...NEGOTIATED_FORMATS.map((format) => [typeOf(format), { kind: 'citation', format, style: DEFAULT_CITATION_STYLE }] as [string, Representation]),
  ...['', `; locale=${BIBLIOGRAPHY_LOCALE}`].flatMap((locale) => [
    [`text/x-bibliography${locale}`, { kind: 'citation', format: 'text', style: DEFAULT_CITATION_STYLE }] as [string, Representation],
    ...[...STYLE_NAMES].map(([param, style]) => [`text/x-bibliography; style=${param}${locale}`, { kind: 'citation', format: 'text', style }] as [string, Representation]),
  ]),
// Every type also with `charset=utf-8`, as MLHub answers it: a client may send back the Content-Type it was given.
].flatMap(([variant, representation]) => [[variant, representation], [`${variant}; charset=utf-8`, representation]] as [string, Representation][]));

/** The variants in NEGOTIATED_MEDIA_TYPES' order: on a tie negotiator takes the first. */
const OFFERED = [...VARIANTS.keys()].sort((a, b) => rank(a) - rank(b));

function rank(variant: string): number {
  return NEGOTIATED_MEDIA_TYPES.indexOf(variant.split(';')[0] as (typeof NEGOTIATED_MEDIA_TYPES)[number]);
}

/** Formatted text is answered as asked for, as doi.org answers it (citation-formats.ts's `text` is text/plain). */
export const BIBLIOGRAPHY_CONTENT_TYPE = 'text/x-bibliography; charset=utf-8';

/**
 * The media types the non-JSON representations are answered in, with their parameters: a
 * citation format's own (citation-formats.ts), except formatted text, answered as
 * `text/x-bibliography` (as asked, and as doi.org answers it); JSON-LD; and the landing page.
 */
export const ALTERNATE_CONTENT_TYPES: readonly string[] = [
  'text/html; charset=utf-8',
  'application/ld+json',
  ...NEGOTIATED_FORMATS.map((format) => CITATION_FORMATS[format]),
  BIBLIOGRAPHY_CONTENT_TYPE,
];

/** What a 406 lists: each media type, formatted text with its parameters. */
export const ACCEPTABLE_TEXT = NEGOTIATED_MEDIA_TYPES.map((type) => (type === 'text/x-bibliography'
  ? `${type}; style=${Object.keys(CITATION_STYLES).join('|')}; locale=${BIBLIOGRAPHY_LOCALE}`
  : type)).join(', ');

/**
 * The representation an `Accept` header asks for, by negotiator (q-values, then the most
 * specific range, then the order of the header, then NEGOTIATED_MEDIA_TYPES' order). No header,
 * or a blank one, is `*\/*`: the JSON record, as before content negotiation.
 *
 * @throws AppError 406 `not_acceptable`, listing the media types answered, when nothing offered is acceptable
 */
export function negotiate(accept: string | undefined): Representation {
  // Ranges with a weight that is not a qvalue are left out, as the download route leaves them out (http/accept.ts).
  const valid = accept === undefined ? '' : withoutInvalidWeights(accept);
  const header = valid.trim() === '' ? '*/*' : valid;
  const chosen = new Negotiator({ headers: { accept: header } }).mediaType(OFFERED);
  const representation = chosen === undefined ? undefined : VARIANTS.get(chosen);
  if (!representation) throw new AppError('not_acceptable', 'not_acceptable', `Nothing in Accept '${visible(header.slice(0, 200))}' is answered here; acceptable: ${ACCEPTABLE_TEXT}`);
  return representation;
}
