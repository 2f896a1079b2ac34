import { AppError } from '../errors/app-error';
import type { SearchEngine } from '../search/search-engine';
import { SearchService, type SearchIndexSource } from '../search/search-service';
import { lazy } from './lazy';

/**
 * The index the search path reads. INTEGRATION: until the pipeline's loader (`searchIndex():
 * Promise<SearchEngine>`: the snapshot loaded at init, kept fresh from the change log) is
 * connected here, every search answers 503 `search_unavailable`; the plain listing is not
 * affected.
 */
const searchIndex: SearchIndexSource = async (): Promise<SearchEngine> => {
  throw new AppError('unavailable', 'search_unavailable', 'Search is not available on this deployment yet; GET /models without search parameters lists models');
};

/** One search service per execution environment, over the index its loader keeps warm. */
export const searchService = lazy(() => new SearchService(searchIndex));
