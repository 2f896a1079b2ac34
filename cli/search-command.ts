import type { SearchAnswer } from './api-types';

/** What `mlhub search` takes beside the query text: GET /models's filters and order, and how many hits to fetch. */
export interface SearchOptions {
  author?: string;
  owner?: string;
  framework?: string;
  task?: string;
  discipline?: string;
  license?: string;
  keyword?: string;
  published?: string;
  hasDoi?: string;
  updatedSince?: string;
  sort?: string;
  direction?: string;
  mine?: boolean;
  /** At most this many hits, fetched a page of up to PAGE_LIMIT at a time. */
  limit?: number;
  /** Every hit, page after page. */
  all?: boolean;
  /** Start where a previous search's `next_cursor` left off. */
  cursor?: string;
}

/** Each option and the GET /models parameter it is sent as. */
const PARAMETERS = [
  ['author', 'author'], ['owner', 'owner'], ['framework', 'framework'], ['task', 'task'], ['discipline', 'discipline'],
  ['license', 'license'], ['keyword', 'keyword'], ['published', 'published'], ['hasDoi', 'has_doi'],
  ['updatedSince', 'updated_since'], ['sort', 'sort'], ['direction', 'direction'],
] as const;

/** The most hits GET /models answers in one page (its `limit`, functions/contracts/model-contracts.ts). */
export const PAGE_LIMIT = 100;

/**
 * GET /models's path for one page of a search: `q` when there is text, each option as its
 * parameter, `limit` and `cursor` when given. With neither text nor a filter, `sort=updated`, so
 * that the answer is a search (with facets) rather than the plain listing.
 */
export function searchPath(text: string | undefined, options: SearchOptions, page: { limit?: number; cursor?: string } = {}): string {
  const query = new URLSearchParams();
  if (text !== undefined && text.trim() !== '') query.set('q', text);
  for (const [option, parameter] of PARAMETERS) {
    const value = options[option];
    if (value !== undefined) query.set(parameter, value);
  }
  if ([...query.keys()].length === 0) query.set('sort', 'updated');
  if (options.mine) query.set('mine', '1');
  if (page.limit !== undefined) query.set('limit', String(page.limit));
  if (page.cursor !== undefined) query.set('cursor', page.cursor);
  return `/models?${query.toString()}`;
}

/**
 * The search's hits as far as the options ask: one page (the API's default size) with neither
 * `limit` nor `all`; else page after page, following `next_cursor`, until `limit` hits or the
 * last page. The answer is the API's shape: `total` and `facets` (the same on every page), the
 * hits fetched, and the `next_cursor` of what is left (null when nothing is).
 *
 * @param fetchPage GET of one page's path, answering its body
 */
export async function searchPages(fetchPage: (path: string) => Promise<SearchAnswer>, text: string | undefined, options: SearchOptions): Promise<SearchAnswer> {
  const wanted = options.limit ?? (options.all ? Number.POSITIVE_INFINITY : undefined);
  const pageLimit = (got: number) => (wanted === undefined ? undefined : Math.min(PAGE_LIMIT, wanted - got));
  const first = await fetchPage(searchPath(text, options, { limit: pageLimit(0), cursor: options.cursor }));
  const hits = [...first.hits];
  let next = first.next_cursor;
  while (next !== null && wanted !== undefined && hits.length < wanted) {
    const page = await fetchPage(searchPath(text, options, { limit: pageLimit(hits.length), cursor: next }));
    hits.push(...page.hits);
    next = page.next_cursor;
  }
  return { ...first, hits, next_cursor: next };
}

const cell = (text: string, width: number): string => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));

/**
 * The answer for people: one row per hit (name, title, framework, latest version, DOI), then how
 * many of how many (and, when more are left, how to get them), and a line per non-empty facet
 * with its most frequent values.
 */
export function searchTable(answer: SearchAnswer): string {
  if (answer.total === 0) return 'No models found.';
  const rows = answer.hits.map((hit) =>
    `${cell(hit.model, 28)} ${cell(hit.title ?? '', 36)} ${cell(hit.framework, 11)} ${cell(hit.latest_version === null ? '-' : `v${hit.latest_version}`, 5)} ${hit.doi ?? ''}`.trimEnd());
  const facets = Object.entries(answer.facets)
    .filter(([, counts]) => counts.length > 0)
    .map(([facet, counts]) => `${facet}: ${counts.slice(0, 5).map(({ value, count }) => `${value} (${count})`).join(', ')}`);
  return [
    `${'NAME'.padEnd(28)} ${'TITLE'.padEnd(36)} ${'FRAMEWORK'.padEnd(11)} ${'LATEST'.padEnd(5)} DOI`,
    ...rows,
    '',
    `${answer.hits.length} of ${answer.total} model${answer.total === 1 ? '' : 's'}${answer.next_cursor ? ` (more: --all, a larger --limit, or --cursor ${answer.next_cursor} for the next ones)` : ''}`,
    ...facets.map((line) => `  ${line}`),
  ].join('\n');
}
