import { AppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { SearchEngine, SearchQuery, SearchResult } from './search-engine';

/**
 * Seconds a caller waits before retrying after `503 search_unavailable` (RFC 9110 §10.2.3): the
 * loader tries again at the next call (nothing is cached), so as soon as the table answers.
 */
export const SEARCH_RETRY_AFTER_SECONDS = 5;

/** Where the search handler gets the index from: the pipeline's loader (an engine kept warm across invocations). */
export type SearchIndexSource = () => Promise<SearchEngine>;

/**
 * The one seam between GET /models's search path and the index: who is asking becomes a
 * SearchViewer (the access policy as data: search-engine.ts), and the engine answers.
 */
export class SearchService {
  constructor(private readonly index: SearchIndexSource) {}

  /**
   * The models matching `query` that `actor` may see (public ones, their own, those shared with
   * them): hits, total and facets count nothing else.
   *
   * @throws AppError 401 `authentication_required` for `mine` without a signed-in caller
   * @throws AppError 400 `invalid_cursor` for a cursor not issued for this search (the engine's)
   * @throws AppError 503 `search_unavailable` with Retry-After when the index cannot be loaded (nor rebuilt from the table)
   */
  async searchModels(actor: Actor, query: SearchQuery): Promise<SearchResult> {
    // As the plain listing answers ?mine=1 (functions/registry/model-registry.ts).
    if (query.filters.mine && actor.anonymous) throw new AppError('unauthenticated', 'authentication_required', 'Sign in to search your own models (?mine=1)');
    const engine = await this.index().catch((error: unknown) => {
      throw new AppError('unavailable', 'search_unavailable', 'The search index could not be loaded; retry after Retry-After seconds (the plain listing, without search parameters, still answers)', {
        headers: { 'retry-after': String(SEARCH_RETRY_AFTER_SECONDS) }, cause: error,
      });
    });
    return engine.search(query, actor.anonymous ? {} : { userId: actor.id });
  }
}
