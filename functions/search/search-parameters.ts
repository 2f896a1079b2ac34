/**
 * The query parameters that make GET /models a search rather than the plain listing (which reads
 * only limit, cursor and mine). Kept apart, with no imports, so that the route table can name them
 * without loading the search code. search-query.ts reads them. `search`, `library` and
 * `pipeline_tag` are the Hugging Face Hub's /api/models names for `q`, `framework` and `task`.
 */
export const SEARCH_PARAMETERS = [
  'q', 'search', 'author', 'owner', 'type', 'framework', 'library', 'task', 'pipeline_tag', 'license', 'keyword', 'tag', 'discipline',
  'published', 'has_doi', 'updated_since', 'sort', 'direction',
] as const;
