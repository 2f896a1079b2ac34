import type MiniSearch from 'minisearch';
import type { SearchOptions } from 'minisearch';

/** One document matching a query, before MiniSearch builds its result object. */
export interface RawMatch {
  readonly id: string;
  /** MiniSearch's score: BM25+ with boosts, times the number of query terms matched, as its `search` computes it. */
  readonly score: number;
  /** Index terms matched, with the fields each matched in. */
  readonly match: Record<string, string[]>;
}

/** MiniSearch 7.2.0's internals this reads (the version is pinned in package.json). */
interface MiniSearchInternals {
  executeQuery(query: string, options: SearchOptions): Map<number, { score: number; terms: string[]; match: Record<string, string[]> }>;
  _documentIds: Map<number, string>;
}

/**
 * Every document matching `query`, unsorted, without the result objects and the sort of every
 * match that MiniSearch's public `search` builds: at 100k models a common word matches most of
 * them, and this engine needs them all once (for the total and facets) but ranks only a page.
 * Scores equal `search`'s (test/unit/search/minisearch-engine.test.ts checks it, so an upgrade
 * that changes the internals fails there, not in production).
 */
export function rawMatches<T>(index: MiniSearch<T>, query: string, options: SearchOptions): RawMatch[] {
  const internals = index as unknown as MiniSearchInternals;
  const matches: RawMatch[] = [];
  for (const [shortId, { score, terms, match }] of internals.executeQuery(query, options)) {
    matches.push({ id: internals._documentIds.get(shortId) as string, score: score * (terms.length || 1), match });
  }
  return matches;
}
