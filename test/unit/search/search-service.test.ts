import { describe, expect, it } from 'vitest';
import { ANONYMOUS, tokenActor, userActor } from '../../../functions/identity/actor';
import { isAppError } from '../../../functions/errors/app-error';
import { SEARCH_FACETS, type SearchDocument, type SearchEngine, type SearchQuery, type SearchResult, type SearchViewer } from '../../../functions/search/search-engine';
import { SearchService } from '../../../functions/search/search-service';
import { searchResultView } from '../../../functions/search/search-views';
import { searchResult } from '../../../functions/contracts/views';

/**
 * TEST DOUBLE of the SearchEngine interface, over an array: it applies the privacy rule and the
 * owner filter only, and records the viewers it was asked for. It stands in for the real engine
 * (functions/search/minisearch/) so that the service's seam and the answer's view are tested
 * apart from ranking; test/integration/search-results.test.ts runs the real one.
 */
class ArraySearchEngineDouble implements SearchEngine {
  readonly viewers: SearchViewer[] = [];
  constructor(private readonly documents: SearchDocument[]) {}
  get size(): number { return this.documents.length; }
  upsert(document: SearchDocument): void { this.documents.push(document); }
  remove(name: string): void { this.documents.splice(this.documents.findIndex((document) => document.name === name), 1); }
  get(name: string): SearchDocument | undefined { return this.documents.find((document) => document.name === name); }
  serialize(): Buffer { return Buffer.from(JSON.stringify(this.documents)); }
  search(query: SearchQuery, viewer: SearchViewer): SearchResult {
    this.viewers.push(viewer);
    const seen = this.documents.filter((document) => document.visibility === 'public' || document.owner === viewer.userId || (viewer.userId !== undefined && document.grantees.includes(viewer.userId)))
      .filter((document) => !query.filters.mine || document.owner === viewer.userId);
    const facets = Object.fromEntries(SEARCH_FACETS.map((facet) => [facet, []])) as unknown as SearchResult['facets'];
    return {
      hits: seen.map((document) => ({ document, ...(query.q ? { score: 1, highlights: { name: `<mark>${document.name}</mark>` } } : {}) })),
      total: seen.length,
      facets: { ...facets, owner: [...new Set(seen.map((document) => document.owner))].map((value) => ({ value, count: seen.filter((document) => document.owner === value).length })) },
      ...(seen.length > query.limit ? { nextCursor: 'next' } : {}),
    };
  }
}

const document = (name: string, owner: string, visibility: 'public' | 'private', grantees: string[] = []): SearchDocument => ({
  name, owner, visibility, grantees, keywords: ['mnist'], authors: [{ name: 'Ada Lovelace', orcid: '0000-0002-1825-0097' }], framework: 'ONNX',
  published: false, hasDoi: false, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z', downloads: 3, predictions: 4,
});

const query = (extra: Partial<SearchQuery> = {}): SearchQuery => ({ filters: {}, sort: 'updated', direction: 'desc', limit: 10, ...extra });

describe('SearchService', () => {
  it('searches as the caller: anonymous as nobody, a session or a token as its user', async () => {
    const engine = new ArraySearchEngineDouble([document('open', 'olive', 'public'), document('secret', 'olive', 'private'), document('shared', 'olive', 'private', ['rita'])]);
    const service = new SearchService(async () => engine);
    expect((await service.searchModels(ANONYMOUS, query())).total).toBe(1);
    expect((await service.searchModels(userActor('rita', 'session'), query())).total).toBe(2);
    expect((await service.searchModels(tokenActor('olive', 'read', 't1'), query())).total).toBe(3);
    expect(engine.viewers).toEqual([{}, { userId: 'rita' }, { userId: 'olive' }]);
  });

  it('refuses mine to an anonymous caller (401), before the index is asked', async () => {
    const engine = new ArraySearchEngineDouble([]);
    const refused = await new SearchService(async () => engine).searchModels(ANONYMOUS, query({ filters: { mine: true } })).catch((error: unknown) => error);
    expect(isAppError(refused) && [refused.kind, refused.code]).toEqual(['unauthenticated', 'authentication_required']);
    expect(engine.viewers).toEqual([]);
  });

  it('answers hits as the summary less meta, with DOIs, counters, score and highlights; facets for every field; next_cursor', async () => {
    const engine = new ArraySearchEngineDouble([document('open', 'olive', 'public')]);
    const result = await new SearchService(async () => engine).searchModels(ANONYMOUS, query({ q: 'open', sort: 'relevance', limit: 0 }));
    expect(searchResultView(result)).toEqual({
      hits: [{
        model: 'open', type: 'ONNX', framework: 'ONNX', title: null, authors: [{ name: 'Ada Lovelace', orcid: '0000-0002-1825-0097' }], description: null, keywords: ['mnist'],
        license: null, task: null, discipline: null, owner: 'olive', visibility: 'public', created: '2026-01-01T00:00:00.000Z', updated: '2026-01-02T00:00:00.000Z',
        latest_version: null, doi: null, concept_doi: null, published: false, downloads: 3, predictions: 4, score: 1, highlights: { name: '<mark>open</mark>' },
      }],
      total: 1,
      facets: { author: [], owner: [{ value: 'olive', count: 1 }], framework: [], task: [], license: [], keyword: [], discipline: [] },
      next_cursor: 'next',
    });
    expect(searchResult.safeParse(searchResultView(result)).success).toBe(true);
    const plain = searchResultView(await new SearchService(async () => engine).searchModels(ANONYMOUS, query()));
    expect(Object.keys(plain.hits[0] ?? {})).not.toContain('score');
    expect(Object.keys(plain.hits[0] ?? {})).not.toContain('highlights');
    expect(plain.next_cursor).toBeNull();
    expect(searchResult.safeParse(plain).success).toBe(true);
  });
});
