import { createMiniSearchEngine, loadMiniSearchEngine, SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './minisearch/minisearch-engine';
import type { SearchEngine } from './search-engine';

/**
 * One implementation of SearchEngine, as the pipeline makes and reloads it: `format` names the
 * bytes `serialize()` writes, so that a snapshot of another implementation or version is never
 * read as this one's (the pointer and the snapshot carry it).
 */
export interface SearchEngineKind {
  readonly format: string;
  create(): SearchEngine;
  /** @throws for bytes this kind did not write (corrupt, or of another format). */
  load(bytes: Buffer): SearchEngine;
}

/**
 * The one place that says which engine MLHub runs: the embedded MiniSearch engine
 * (functions/search/minisearch/). An OpenSearch adapter would be another SearchEngineKind here
 * (README, "Search engine").
 */
export const SEARCH_ENGINE: SearchEngineKind = {
  format: `${SNAPSHOT_FORMAT}/${SNAPSHOT_VERSION}`,
  create: () => createMiniSearchEngine(),
  load: (bytes) => loadMiniSearchEngine(bytes),
};

/** An empty index of the wired engine. */
export const createSearchEngine = (): SearchEngine => SEARCH_ENGINE.create();

/** An index of the wired engine from a snapshot's bytes; throws for bytes it cannot read. */
export const loadSearchEngine = (bytes: Buffer): SearchEngine => SEARCH_ENGINE.load(bytes);
