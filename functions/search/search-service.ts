import { AppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { SearchEngine, SearchQuery, SearchResult } from './search-engine';

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
   */
  async searchModels(actor: Actor, query: SearchQuery): Promise<SearchResult> {
    // As the plain listing answers ?mine=1 (functions/registry/model-registry.ts).
    if (query.filters.mine && actor.anonymous) throw new AppError('unauthenticated', 'authentication_required', 'Sign in to search your own models (?mine=1)');
    const engine = await this.index();
    return engine.search(query, actor.anonymous ? {} : { userId: actor.id });
  }
}
