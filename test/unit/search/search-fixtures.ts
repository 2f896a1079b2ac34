import { SEARCH_FACETS, type FacetCount, type SearchDocument, type SearchEngine, type SearchFacet, type SearchHit, type SearchQuery, type SearchViewer } from '../../../functions/search/search-engine';
import { facetValuesOf } from '../../../functions/search/minisearch/facet-counts';
import { foldFilterValue } from '../../../functions/search/minisearch/indexed-entry';

/** A document with every field filled in the same way, so that tests differ only in what they set. */
export function searchDocument(fields: Partial<SearchDocument> & { name: string }): SearchDocument {
  return {
    title: 'A model',
    description: 'It does things',
    keywords: ['thing'],
    authors: [{ name: 'Pat Doe' }],
    license: 'MIT',
    framework: 'ONNX',
    owner: 'owner-1',
    visibility: 'public',
    grantees: [],
    published: false,
    hasDoi: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    downloads: 0,
    predictions: 0,
    ...fields,
  };
}

export function query(fields: Partial<SearchQuery> = {}): SearchQuery {
  const sort = fields.sort ?? (fields.q ? 'relevance' : 'updated');
  return { filters: {}, sort, direction: sort === 'name' ? 'asc' : 'desc', limit: 100, ...fields };
}

/** Every hit of a search, page after page, following nextCursor. */
export function allPages(engine: SearchEngine, search: SearchQuery, viewer: SearchViewer): SearchHit[] {
  const hits: SearchHit[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page += 1) {
    const result = engine.search({ ...search, ...(cursor === undefined ? {} : { cursor }) }, viewer);
    hits.push(...result.hits);
    cursor = result.nextCursor;
    if (cursor === undefined) return hits;
  }
  throw new Error('paging did not end');
}

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Facet counts over documents computed the plain way: what the engine must report. A value counts
 * the documents its filter would find (the same value in any case, once per document), and shows
 * in the spelling most of them give it (ties: the first in code point order).
 */
export function bruteFacets(documents: readonly SearchDocument[]): Record<SearchFacet, FacetCount[]> {
  const facets = {} as Record<SearchFacet, FacetCount[]>;
  for (const facet of SEARCH_FACETS) {
    const spellings = new Map<string, Map<string, number>>();
    for (const document of documents) {
      for (const value of facetValuesOf(document, facet)) {
        const group = spellings.get(foldFilterValue(value)) ?? new Map<string, number>();
        group.set(value, (group.get(value) ?? 0) + 1);
        spellings.set(foldFilterValue(value), group);
      }
    }
    facets[facet] = [...spellings.values()].map((group) => {
      const [value] = [...group].sort((a, b) => b[1] - a[1] || byCode(a[0], b[0]))[0] as [string, number];
      return { value, count: [...group.values()].reduce((sum, count) => sum + count, 0) };
    }).sort((a, b) => b.count - a.count || byCode(a.value, b.value)).slice(0, 20);
  }
  return facets;
}

/** The privacy rule, written out plainly. */
export const mayRead = (document: SearchDocument, viewer: SearchViewer): boolean =>
  document.visibility === 'public' || (viewer.userId !== undefined && (document.owner === viewer.userId || document.grantees.includes(viewer.userId)));

export const names = (hits: readonly SearchHit[]): string[] => hits.map((hit) => hit.document.name);
