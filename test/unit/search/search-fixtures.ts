import { SEARCH_FACETS, type FacetCount, type SearchDocument, type SearchEngine, type SearchFacet, type SearchHit, type SearchQuery, type SearchViewer } from '../../../functions/search/search-engine';
import { facetValuesOf } from '../../../functions/search/minisearch/facet-counts';

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

/** Facet counts over documents computed the plain way: what the engine must report. */
export function bruteFacets(documents: readonly SearchDocument[]): Record<SearchFacet, FacetCount[]> {
  const facets = {} as Record<SearchFacet, FacetCount[]>;
  for (const facet of SEARCH_FACETS) {
    const counts = new Map<string, number>();
    for (const document of documents) for (const value of facetValuesOf(document, facet)) counts.set(value, (counts.get(value) ?? 0) + 1);
    facets[facet] = [...counts].map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, 20);
  }
  return facets;
}

/** The privacy rule, written out plainly. */
export const mayRead = (document: SearchDocument, viewer: SearchViewer): boolean =>
  document.visibility === 'public' || (viewer.userId !== undefined && (document.owner === viewer.userId || document.grantees.includes(viewer.userId)));

export const names = (hits: readonly SearchHit[]): string[] => hits.map((hit) => hit.document.name);
