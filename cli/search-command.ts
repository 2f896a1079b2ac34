import type { SearchAnswer } from './api-types';

/** What `mlhub search` takes beside the query text: GET /models's filters and order, by their parameter names. */
export interface SearchOptions {
  author?: string;
  framework?: string;
  license?: string;
  keyword?: string;
  sort?: string;
  limit?: number;
}

/**
 * GET /models's path for a search: `q` when there is text, each option as its parameter. With
 * neither, `sort=updated`, so that the answer is a search (with facets) rather than the plain listing.
 */
export function searchPath(text: string | undefined, options: SearchOptions): string {
  const query = new URLSearchParams();
  if (text !== undefined && text.trim() !== '') query.set('q', text);
  for (const name of ['author', 'framework', 'license', 'keyword', 'sort'] as const) {
    const value = options[name];
    if (value !== undefined) query.set(name, value);
  }
  if ([...query.keys()].length === 0) query.set('sort', 'updated');
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  return `/models?${query.toString()}`;
}

const cell = (text: string, width: number): string => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));

/**
 * The answer for people: one row per hit (name, title, framework, latest version, DOI), then how
 * many of how many, and a line per non-empty facet with its most frequent values.
 */
export function searchTable(answer: SearchAnswer): string {
  if (answer.total === 0) return 'No models found.';
  const rows = answer.hits.map((hit) =>
    `${cell(hit.model, 28)} ${cell(hit.title ?? '', 36)} ${cell(hit.type, 11)} ${cell(hit.latest_version === null ? '-' : `v${hit.latest_version}`, 5)} ${hit.doi ?? ''}`.trimEnd());
  const facets = Object.entries(answer.facets)
    .filter(([, counts]) => counts.length > 0)
    .map(([facet, counts]) => `${facet}: ${counts.slice(0, 5).map(({ value, count }) => `${value} (${count})`).join(', ')}`);
  return [
    `${'NAME'.padEnd(28)} ${'TITLE'.padEnd(36)} ${'FRAMEWORK'.padEnd(11)} ${'LATEST'.padEnd(5)} DOI`,
    ...rows,
    '',
    `${answer.hits.length} of ${answer.total} model${answer.total === 1 ? '' : 's'}${answer.next_cursor ? ' (more: raise --limit, up to 100)' : ''}`,
    ...facets.map((line) => `  ${line}`),
  ].join('\n');
}
