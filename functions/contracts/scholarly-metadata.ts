import * as z from 'zod/mini';
import spdxIds from 'spdx-license-ids/index.json' with { type: 'json' };
import { label } from './labels';

/**
 * The scholarly metadata of a model record: what a DOI needs (DataCite Metadata Schema 4.5) and
 * what search and citations read. Field names follow DataCite's where one fits
 * (`related_identifiers`, `relation_type`, `funder_name`, `award_number`).
 */

/**
 * ORCID iD check digit, ISO 7064 MOD 11-2 over the first 15 digits (ORCID, "Structure of the
 * ORCID Identifier"): `X` stands for 10.
 */
export function orcidChecksumValid(orcid: string): boolean {
  const digits = orcid.replaceAll('-', '');
  if (!/^\d{15}[\dX]$/.test(digits)) return false;
  let total = 0;
  for (const digit of digits.slice(0, 15)) total = (total + Number(digit)) * 2;
  const result = (12 - (total % 11)) % 11;
  return digits[15] === (result === 10 ? 'X' : String(result));
}

/** An iD's own form: four groups of four digits, the last a check digit or `X` (ORCID, "Structure of the ORCID Identifier"). */
const ORCID_ID = /^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$/i;
/**
 * The URL forms an iD is written in: `https://orcid.org/` as ORCID displays it ("Display
 * guidelines"), `http://` as it did until 2017 and DataCite and Crossref metadata still carry,
 * `www.`, any case of scheme and host, a trailing `/` (review 13c F3).
 */
const ORCID_URL = /^(?:https?:\/\/(?:www\.)?orcid\.org\/)(.*?)\/?$/i;

/**
 * An ORCID iD as MLHub stores and compares it: bare (`0000-0002-1825-0097`, `X` upper-case), from
 * any of its URL forms (ORCID_URL); anything else as it is. A record's authors and search's
 * `author=` both read iDs through this.
 */
export function bareOrcid(value: string): string {
  const id = ORCID_URL.exec(value)?.[1] ?? value;
  return ORCID_ID.test(id) ? id.toUpperCase() : value;
}

/** Whether `value` is written as an ORCID iD (bare or a URL form), valid or not: a name never is. */
export const looksLikeOrcid = (value: string): boolean => ORCID_URL.test(value) || ORCID_ID.test(value);

/**
 * An ORCID iD, bare or in a URL form, that is not valid, with why; undefined for a valid one.
 * Search's `author=` refuses such a value rather than match nothing.
 */
export function orcidProblem(value: string): string | undefined {
  const id = bareOrcid(value);
  if (!ORCID_ID.test(id)) return 'must be an ORCID iD such as 0000-0002-1825-0097';
  return orcidChecksumValid(id) ? undefined : 'has a wrong check digit (ISO 7064 MOD 11-2): check the ORCID iD';
}

/** An ORCID iD as `0000-0002-1825-0097`, or a URL form of it; stored bare. */
const orcid = z.pipe(
  z.string({ error: 'must be a string' }).check(z.refine((value) => !orcidProblem(value), { error: (issue) => orcidProblem(issue.input as string) ?? 'must be an ORCID iD' }))
    .register(z.globalRegistry, { description: 'An ORCID iD, 0000-0002-1825-0097 with a valid check digit, or its URL (https://orcid.org/…; http, www., any case, a trailing / too); stored bare' }),
  z.transform(bareOrcid),
);

/** A ROR id as `https://ror.org/02mhbdp94` or `02mhbdp94` (ROR, "ROR identifier pattern"); stored as the URL. */
const ror = z.pipe(
  z.string({ error: 'must be a string' }).check(z.regex(/^(?:https:\/\/ror\.org\/)?0[a-hj-km-np-tv-z0-9]{6}\d{2}$/, 'must be a ROR id such as https://ror.org/02mhbdp94')),
  z.transform((value: string) => (value.startsWith('https://') ? value : `https://ror.org/${value}`)),
);

/** DataCite's contributorType values that name what a model's author did, plus `creator`. */
export const AUTHOR_ROLES = ['creator', 'ContactPerson', 'DataCurator', 'ProjectLeader', 'ProjectMember', 'Researcher', 'Supervisor', 'Other'] as const;

/** DataCite's nameType: a person, whose name citations split into family and given names, or an organization, named whole. */
export const NAME_TYPES = ['Personal', 'Organizational'] as const;

const author = z.strictObject({
  name: label(200),
  name_type: z.optional(z.enum(NAME_TYPES, { error: `must be one of ${NAME_TYPES.join(', ')}` })),
  orcid: z.optional(orcid),
  affiliation: z.optional(z.strictObject({ name: label(300), ror: z.optional(ror) }, { error: 'must be an object {name, ror?}' })),
  role: z._default(z.enum(AUTHOR_ROLES, { error: `must be one of ${AUTHOR_ROLES.join(', ')}` }), 'creator'),
}, { error: 'must be an object {name, name_type?, orcid?, affiliation?, role?}' }).check(z.refine(
  (value) => !(value.name_type === 'Organizational' && value.orcid !== undefined),
  { message: 'is an ORCID iD, which names a person, not an organization (name_type Organizational)', path: ['orcid'] },
));

/** Whether an author is named whole (an organization) rather than as a person. */
export const isOrganization = (author: { readonly name_type?: string }): boolean => author.name_type === 'Organizational';

const SPDX = new Set<string>(spdxIds as string[]);

/** An SPDX license id from the SPDX License List, as the spdx-license-ids package ships it (no network). */
const license = z.string({ error: 'must be a string' }).check(z.refine((value) => SPDX.has(value), 'must be an SPDX license id from the SPDX License List, such as MIT, Apache-2.0 or CC-BY-4.0'));

/** DataCite relatedIdentifierType values MLHub takes, with the form each must have. */
const IDENTIFIER_FORMS = {
  DOI: /^10\.\d{4,9}\/\S+$/,
  URL: /^https?:\/\/\S+$/,
  arXiv: /^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?$/,
  SWHID: /^swh:1:(?:cnt|dir|rev|rel|snp):[0-9a-f]{40}(?:;.*)?$/,
} as const;

/** DataCite relationType values that say how a model relates to its data, paper and code. */
export const RELATION_TYPES = ['IsDerivedFrom', 'IsSupplementTo', 'IsDocumentedBy', 'IsDescribedBy', 'References', 'IsCitedBy', 'IsCompiledBy', 'Requires', 'IsSourceOf', 'IsPartOf', 'HasPart', 'IsNewVersionOf', 'IsPreviousVersionOf', 'IsVariantFormOf'] as const;

const relatedIdentifier = z.strictObject({
  identifier: label(2000),
  identifier_type: z.enum(Object.keys(IDENTIFIER_FORMS) as [keyof typeof IDENTIFIER_FORMS], { error: `must be one of ${Object.keys(IDENTIFIER_FORMS).join(', ')}` }),
  relation_type: z.enum(RELATION_TYPES, { error: `must be one of ${RELATION_TYPES.join(', ')}` }),
}, { error: 'must be an object {identifier, identifier_type, relation_type}' }).check(z.refine(
  (value) => IDENTIFIER_FORMS[value.identifier_type].test(value.identifier),
  { message: 'does not have the form its identifier_type takes (a DOI is 10.<prefix>/<suffix>; a URL http(s)://…; arXiv 2101.00001; SWHID swh:1:…)', path: ['identifier'] },
));

const funding = z.strictObject({
  funder_name: label(300),
  funder_identifier: z.optional(ror),
  award_number: z.optional(label(200)),
  award_title: z.optional(label(500)),
}, { error: 'must be an object {funder_name, funder_identifier?, award_number?, award_title?}' });

const list = <S extends z.ZodMiniType>(item: S, max: number) => z.array(item, { error: 'must be a list' }).check(z.maxLength(max, `may hold at most ${max} entries`));

/** The fields, each optional; `null` clears one. */
export const scholarlyFields = {
  title: z.optional(z.nullable(label(500))),
  authors: z.optional(z.nullable(list(author, 100))),
  license: z.optional(z.nullable(license)),
  keywords: z.optional(z.nullable(list(label(100), 50))),
  task: z.optional(z.nullable(label(100).check(z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a task name in lowercase words joined by hyphens, such as image-classification or regression')))),
  related_identifiers: z.optional(z.nullable(list(relatedIdentifier, 100))),
  funding: z.optional(z.nullable(list(funding, 50))),
};

/** The scholarly fields' names, in the order the README lists them. */
export const SCHOLARLY_KEYS = Object.keys(scholarlyFields) as (keyof typeof scholarlyFields)[];

export type ScholarlyMetadata = {
  -readonly [K in keyof typeof scholarlyFields]?: Exclude<z.output<(typeof scholarlyFields)[K]>, undefined>;
};

/** A DOI as the original MLHub's `reference` field may hold it (bare, `doi:` or a doi.org URL), or undefined. */
export function doiIn(reference: string | null | undefined): string | undefined {
  const match = /^(?:doi:|https?:\/\/(?:dx\.)?doi\.org\/)?(10\.\d{4,9}\/\S+)$/i.exec(reference?.trim() ?? '');
  return match?.[1];
}
