/**
 * The query parameters that make GET /models a search rather than the plain listing (which reads
 * only limit, cursor and mine). Kept apart, with no imports, so that the route table can name them
 * without loading the search code. search-query.ts reads them.
 */
export const SEARCH_PARAMETERS = [
  'q', 'author', 'owner', 'type', 'framework', 'task', 'license', 'keyword', 'tag', 'discipline',
  'published', 'has_doi', 'updated_since', 'sort', 'direction',
] as const;
