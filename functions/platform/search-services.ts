import { SearchChangeLog } from '../search/search-change-log';
import { SEARCH_ENGINE } from '../search/search-engine-factory';
import { SearchIndexLoader } from '../search/search-index-loader';
import { SearchIndexer } from '../search/search-indexer';
import { SearchService } from '../search/search-service';
import { SearchSnapshots } from '../search/search-snapshots';
import { logger } from '../observability/logger';
import { createDocumentClient, createS3Client } from './aws-clients';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';

/**
 * The search pipeline's stores: the change log on the table, the snapshots under search/ in the
 * bundle bucket. A client of their own, not tableServices', which would read the identity
 * settings: the local runtime starts the indexer before it has them.
 */
const searchStores = lazy(() => {
  const config = loadFunctionConfig();
  return {
    engine: SEARCH_ENGINE,
    log: new SearchChangeLog(createDocumentClient(), config.tableName),
    snapshots: new SearchSnapshots(createS3Client(config), config.bucketName),
  };
});

/** The indexer of this execution environment (indexModels): it keeps the index across invocations. */
export const searchIndexer = lazy(() => new SearchIndexer(searchStores()));

const loader = lazy(() => new SearchIndexLoader({
  ...searchStores(),
  onPointerError: (error) => logger.warn('search snapshot pointer not checked; serving from the change log', { error }),
  onLoaded: (state) => logger.info('search index loaded', { sequence: state.sequence, documents: state.documents, origin: state.origin.kind, ...(state.origin.kind === 'rebuilt' ? { reason: state.origin.reason } : {}) }),
}));

/**
 * The search index of this execution environment, current as of this call (SearchIndexLoader):
 * what a search function answers from.
 */
export const searchIndex = () => loader().index();

/** One search service per execution environment, over the index its loader keeps current. */
export const searchService = lazy(() => new SearchService(searchIndex));
