import { SEARCH_FACETS, type SearchHit, type SearchResult } from './search-engine';

/**
 * A search hit as GET /models answers it: the model summary's fields as modelSummaryView names
 * them (functions/registry/model-views.ts), less `meta` and the fields the index does not hold
 * (reference, related identifiers, funding, revision: GET /model/{name} has them all), plus the
 * DOIs, whether a version is published, the usage counters, the framework the `framework` filter
 * and facet go by (detected in the newest ready bundle, else the declared `type`), and, when `q`
 * was given, the score and the highlights.
 */
export function searchHitView(hit: SearchHit) {
  const document = hit.document;
  return {
    model: document.name,
    type: document.type ?? document.framework,
    framework: document.framework,
    title: document.title ?? null,
    authors: document.authors.map((author) => ({ name: author.name, ...(author.orcid !== undefined ? { orcid: author.orcid } : {}) })),
    description: document.description ?? null,
    keywords: [...document.keywords],
    license: document.license ?? null,
    task: document.task ?? null,
    discipline: document.discipline ?? null,
    owner: document.owner,
    visibility: document.visibility,
    created: document.createdAt,
    updated: document.updatedAt,
    latest_version: document.latestVersion ?? null,
    doi: document.doi ?? null,
    concept_doi: document.conceptDoi ?? null,
    published: document.published,
    downloads: document.downloads,
    predictions: document.predictions,
    ...(hit.score !== undefined ? { score: hit.score } : {}),
    ...(hit.highlights !== undefined ? { highlights: { ...hit.highlights } } : {}),
  };
}

/** The search answer's body: `{ hits, total, facets: { <facet>: [{ value, count }] }, next_cursor }`. */
export function searchResultView(result: SearchResult) {
  return {
    hits: result.hits.map(searchHitView),
    total: result.total,
    facets: Object.fromEntries(SEARCH_FACETS.map((facet) => [facet, (result.facets[facet] ?? []).map(({ value, count }) => ({ value, count }))])),
    next_cursor: result.nextCursor ?? null,
  };
}
