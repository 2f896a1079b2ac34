import * as z from 'zod/mini';
import { label } from '../contracts/labels';
import { bareOrcid, looksLikeOrcid, orcidProblem } from '../contracts/scholarly-metadata';
import { anyCase, booleanText } from '../contracts/parameters';
import { invalid } from '../errors/app-error';
import { visible } from '../contracts/request-errors';
import { MODEL_TYPES, normaliseModelType } from '../registry/model-type';
import { SEARCH_SORTS, type SearchQuery, type SearchSort } from './search-engine';
import { SEARCH_PARAMETERS } from './search-parameters';

export { SEARCH_PARAMETERS };

/**
 * GET /models's search parameters and how they become a SearchQuery. The Hugging Face Hub's
 * /api/models names are aliases where they mean the same thing: `search` (of `q`), `library` (of
 * `framework`), `pipeline_tag` (of `task`), and its sorts `lastModified` and `createdAt` (of
 * `updated` and `created`). The Hub's `author` (the account) is not one: MLHub's `author` is a
 * scholarly author, and the account is `owner`.
 *
 * Each takes one value: a parameter given twice is refused before this reads it, as on every
 * route (functions/http/query-params.ts checkQueryRepeats), so a comma in a value is part of it
 * (`author=Lovelace, Ada`).
 */

/** Longest `q`, in characters: a sentence of search words, far more than anyone types. */
export const MAX_QUERY_TEXT = 500;
/** Longest filter value, in characters (a title-length name, keyword or discipline). */
export const MAX_FILTER_TEXT = 200;

const words = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * A parameter that takes one of a few words, in any case. `read` maps a lowercased word to its
 * value, or undefined when it is not one; `word` is a regular expression of the words, for the
 * OpenAPI document.
 */
function oneOf<T extends string>(rule: string, read: (word: string) => T | undefined, description: string, word: string) {
  return z.pipe(
    z.string().register(z.globalRegistry, { pattern: `^(?:${word})$` }),
    z.transform((raw: string, context) => {
      const value = read(raw.toLowerCase());
      if (value === undefined) {
        context.issues.push({ code: 'custom', input: raw, message: `must be ${rule}` });
        return z.NEVER;
      }
      return value;
    }),
  ).register(z.globalRegistry, { description: `${description}: ${rule}` });
}

/** The Hugging Face Hub's names for the sorts MLHub has under another name (its `downloads` is MLHub's too). */
const HUB_SORTS: Readonly<Record<string, SearchSort>> = { lastmodified: 'updated', createdat: 'created' };
const sortParameter = oneOf<SearchSort>(
  `one of ${words(SEARCH_SORTS)} (or the Hugging Face Hub's 'lastModified', 'createdAt')`,
  (word) => (SEARCH_SORTS as readonly string[]).includes(word) ? word as SearchSort : HUB_SORTS[word],
  "The order (default 'relevance' with q, else 'updated'; 'relevance' needs q)",
  [...SEARCH_SORTS, 'lastModified', 'createdAt'].map(anyCase).join('|'),
);

/** The Hugging Face Hub takes `direction=-1` for descending; `1` is then ascending. */
const DIRECTIONS: Readonly<Record<string, 'asc' | 'desc'>> = { asc: 'asc', desc: 'desc', '1': 'asc', '-1': 'desc' };
const directionParameter = oneOf<'asc' | 'desc'>(
  "'asc' or 'desc' (or the Hugging Face Hub's 1 or -1)",
  (word) => DIRECTIONS[word],
  "The direction of the order (default 'desc', 'asc' for sort=name)",
  ['asc', 'desc', '1', '-1'].map(anyCase).join('|'),
);

/** A model type by any spelling normaliseModelType knows (`onnx`, `tf`, `sklearn`), as its canonical name. */
const modelTypeOrUndefined = (word: string): string | undefined => {
  try {
    return normaliseModelType(word);
  } catch {
    return undefined;
  }
};
const frameworkParameter = (alias: string) => oneOf<string>(
  `a model type: one of ${MODEL_TYPES.join(', ')} (any case; tf, torch, sklearn… too)`,
  modelTypeOrUndefined,
  `Only models of this type (alias of ${alias})`,
  '.+',
);

/** An SPDX license id's characters; whether it names a license is the index's business (an unknown one matches nothing). */
const licenseParameter = oneOf<string>(
  'an SPDX license id (such as MIT or CC-BY-4.0)',
  (word) => /^[a-z0-9][a-z0-9.+-]{0,99}$/.test(word) ? word : undefined,
  'Only models under this license (SPDX id, any case)',
  '[A-Za-z0-9][A-Za-z0-9.+-]{0,99}',
);

const filterText = (description: string) => label(MAX_FILTER_TEXT).register(z.globalRegistry, { description: `${description} (matched whole, any case; 1 to ${MAX_FILTER_TEXT} characters)` });

/** ISO 8601 calendar date (YYYY-MM-DD) or date-time with Z or an offset; seconds and fraction optional. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/i;

/**
 * The instant an `updated_since` names, as the table writes instants (toISOString, UTC), or
 * undefined when the text is not an ISO 8601 date or date-time naming a real day (`2026-02-30` is
 * not one, though Date.parse would roll it over to March).
 */
export function isoInstant(text: string): string | undefined {
  const parts = ISO_INSTANT.exec(text);
  if (!parts) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  const time = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text.toUpperCase());
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

const updatedSinceParameter = z.pipe(
  z.string(),
  z.transform((raw: string, context) => {
    const instant = isoInstant(raw);
    if (instant === undefined) {
      context.issues.push({ code: 'custom', input: raw, message: 'must be an ISO 8601 date (2026-01-31) or date-time with a zone (2026-01-31T12:00:00Z)' });
      return z.NEVER;
    }
    return instant;
  }),
).register(z.globalRegistry, { description: 'Only models updated at or after it: an ISO 8601 date (midnight UTC) or date-time with Z or an offset', format: 'date-time' });

/** The search parameters' schemas, for the listModels contract's query (beside limit, cursor and mine). */
const fullText = (alias: string) => label(MAX_QUERY_TEXT).register(z.globalRegistry, {
  description: `Full text over name, title, keywords, authors (names and ORCID iDs), discipline and description, ranked; prefixes and one typo in words of 5 letters or more match too (1 to ${MAX_QUERY_TEXT} characters; ${alias})`,
});

export const searchParameters = {
  q: z.optional(fullText("alias search, the Hugging Face Hub's name")),
  search: z.optional(fullText("alias of q, as the Hugging Face Hub names it")),
  // A value written as an ORCID iD that is not a valid one would match nothing, silently: refused instead.
  author: z.optional(filterText('Only models with this scholarly author: a name, or an ORCID iD, bare or as its https://orcid.org/ URL (http, www., any case, a trailing / too; an iD with a wrong check digit is 400) (the account that owns a model is owner)').check(
    z.refine((value) => !looksLikeOrcid(value) || !orcidProblem(value), { error: (issue) => orcidProblem(issue.input as string) ?? 'must be an ORCID iD' }),
  )),
  owner: z.optional(filterText("Only models owned by this user id (the Hugging Face Hub's author)")),
  type: z.optional(frameworkParameter('framework')),
  framework: z.optional(frameworkParameter('type')),
  library: z.optional(frameworkParameter("framework, as the Hugging Face Hub names it")),
  task: z.optional(filterText('Only models for this task (alias pipeline_tag)')),
  pipeline_tag: z.optional(filterText("Only models for this task (alias of task, as the Hugging Face Hub names it)")),
  license: z.optional(licenseParameter),
  keyword: z.optional(filterText('Only models with this keyword (alias tag)')),
  tag: z.optional(filterText('Only models with this keyword (alias of keyword)')),
  discipline: z.optional(filterText('Only models of this discipline')),
  published: z.optional(booleanText('Only models with (true) or without (false) a published version')),
  has_doi: z.optional(booleanText('Only models with (true) or without (false) a concept DOI')),
  updated_since: z.optional(updatedSinceParameter),
  sort: z.optional(sortParameter),
  direction: z.optional(directionParameter),
};

/** GET /models's query as its contract parsed it: the search parameters and the listing's own. */
export type ParsedListQuery = {
  readonly [K in keyof typeof searchParameters]?: z.output<(typeof searchParameters)[K]>;
} & {
  readonly limit?: number;
  readonly cursor?: string;
  readonly mine?: boolean;
};

/** Whether the request is a search (any search parameter given) rather than the plain listing. */
export const isSearch = (query: Readonly<Record<string, unknown>>): boolean => SEARCH_PARAMETERS.some((name) => query[name] !== undefined);

/**
 * One value for alias parameters: whichever is given, or the first when several agree (case
 * aside); else a 400 `invalid_<the later one>` naming the two that differ.
 */
function aliased(...given: readonly [string, string | undefined][]): string | undefined {
  const present = given.filter((pair): pair is [string, string] => pair[1] !== undefined);
  const [first] = present;
  if (first === undefined) return undefined;
  const differing = present.find(([, value]) => value.toLowerCase() !== first[1].toLowerCase());
  if (differing !== undefined) {
    throw invalid(`invalid_${differing[0]}`, `Query parameters '${first[0]}' and '${differing[0]}' are aliases and differ ('${visible(first[1].slice(0, 60))}', '${visible(differing[1].slice(0, 60))}'); give one`);
  }
  return first[1];
}

/**
 * The SearchQuery a GET /models request asks for, once its contract has checked each value.
 *
 * @param defaultLimit the page size when `limit` is absent (the listing's)
 * @throws AppError 400 when aliases differ: `invalid_search` (q and search), `invalid_framework` or
 *   `invalid_library` (type, framework and library), `invalid_pipeline_tag` (task and
 *   pipeline_tag), `invalid_tag` (keyword and tag); `invalid_sort` (sort=relevance without q)
 */
export function toSearchQuery(query: ParsedListQuery, defaultLimit: number): SearchQuery {
  const q = aliased(['q', query.q], ['search', query.search]);
  const framework = aliased(['type', query.type], ['framework', query.framework], ['library', query.library]);
  const task = aliased(['task', query.task], ['pipeline_tag', query.pipeline_tag]);
  const keyword = aliased(['keyword', query.keyword], ['tag', query.tag]);
  if (query.sort === 'relevance' && q === undefined) {
    throw invalid('invalid_sort', "Query parameter 'sort' is 'relevance', which ranks by q; give q, or another sort");
  }
  const sort = query.sort ?? (q === undefined ? 'updated' : 'relevance');
  const filters = {
    // An iD as ORCID displays it (its URL) is the bare iD the record stores.
    ...(query.author !== undefined ? { author: bareOrcid(query.author) } : {}),
    ...(query.owner !== undefined ? { owner: query.owner } : {}),
    ...(framework !== undefined ? { framework } : {}),
    ...(task !== undefined ? { task } : {}),
    ...(query.license !== undefined ? { license: query.license } : {}),
    ...(keyword !== undefined ? { keyword } : {}),
    ...(query.discipline !== undefined ? { discipline: query.discipline } : {}),
    ...(query.published !== undefined ? { published: query.published } : {}),
    ...(query.has_doi !== undefined ? { hasDoi: query.has_doi } : {}),
    ...(query.updated_since !== undefined ? { updatedSince: query.updated_since } : {}),
    ...(query.mine ? { mine: true } : {}),
  };
  return {
    ...(q !== undefined ? { q } : {}),
    filters,
    sort,
    direction: query.direction ?? (sort === 'name' ? 'asc' : 'desc'),
    limit: query.limit ?? defaultLimit,
    ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
  };
}
