/**
 * The search engine's interface: what GET /models?q=… and the indexer need of a full-text index
 * over the models, whatever holds it. functions/search/minisearch/ is the embedded implementation
 * (one process holds the whole index, loaded from a snapshot); an OpenSearch adapter would
 * implement the same interface (README, "Search").
 */

/** The facets GET /models counts, by their query parameter's name. */
export const SEARCH_FACETS = ['author', 'owner', 'framework', 'task', 'license', 'keyword', 'discipline'] as const;
export type SearchFacet = (typeof SEARCH_FACETS)[number];

/** The orders a search can be sorted in (`sort`); `relevance` needs `q`. */
export const SEARCH_SORTS = ['relevance', 'updated', 'created', 'name', 'downloads', 'predictions'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** The fields `q` is matched against, heaviest first (issue 13: name > title > keywords > authors > description). */
export const SEARCH_FIELDS = ['name', 'title', 'keywords', 'authors', 'discipline', 'description'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/**
 * What the index holds of one model: the fields searched, filtered, faceted and sorted on, and
 * the summary a hit shows. Built from the model's item collection in the table
 * (search-document.ts); a model being deleted, deleted or withdrawn has none.
 */
export interface SearchDocument {
  /** The model's name: the document's id. */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly keywords: readonly string[];
  /** Every author, with the ORCID iD (bare, `0000-0002-1825-0097`) when given. */
  readonly authors: readonly { readonly name: string; readonly orcid?: string }[];
  readonly discipline?: string;
  readonly task?: string;
  /** SPDX id. */
  readonly license?: string;
  /**
   * The framework (a model type: `ONNX`, `XGBoost`, …) detected in its newest ready bundle, else
   * the declared type; matched case-insensitively by `type`/`framework`, and faceted.
   */
  readonly framework: string;
  /** The model type its owner declared; absent from documents indexed before it was kept (then `framework`). */
  readonly type?: string;
  /** Who may see it (functions/access/access-policy.ts, as data): the owner, everyone when public, and each grantee. */
  readonly owner: string;
  readonly visibility: 'public' | 'private';
  /** User ids with a grant (read or write) on it. */
  readonly grantees: readonly string[];
  /** A version of it is published (its DOI resolves to a live version). */
  readonly published: boolean;
  /** It has a concept DOI (any version was ever published). */
  readonly hasDoi: boolean;
  readonly doi?: string;
  readonly conceptDoi?: string;
  readonly latestVersion?: number;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  readonly updatedAt: string;
  /** Bundle downloads and predictions served, all versions: usage counters. */
  readonly downloads: number;
  readonly predictions: number;
}

/** Who is searching: a signed-in user's id, or nobody (anonymous: public models only). */
export interface SearchViewer {
  readonly userId?: string;
}

/** A search, as GET /models's query parameters say it (search-query.ts parses them). */
export interface SearchQuery {
  readonly q?: string;
  /** Each filter narrows the result; values match case-insensitively and whole (not as text). */
  readonly filters: {
    readonly author?: string;
    readonly owner?: string;
    readonly framework?: string;
    readonly task?: string;
    readonly license?: string;
    readonly keyword?: string;
    readonly discipline?: string;
    readonly published?: boolean;
    readonly hasDoi?: boolean;
    /** ISO 8601: models updated at or after it. */
    readonly updatedSince?: string;
    /** Only the viewer's own models (`mine=1`). */
    readonly mine?: boolean;
  };
  /** `relevance` when `q` is set, else `updated`. */
  readonly sort: SearchSort;
  /** `desc` by default, `asc` for `name`. */
  readonly direction: 'asc' | 'desc';
  /** 1–100. */
  readonly limit: number;
  /** An opaque cursor from the previous page's `nextCursor` (the API's `next_cursor`). */
  readonly cursor?: string;
}

/** One hit: the document, its score for `q`, and where `q` matched. */
export interface SearchHit {
  readonly document: SearchDocument;
  /** Relevance, higher first; absent without `q`. */
  readonly score?: number;
  /** For each field `q` matched: the field's text with each matched term wrapped in `<mark>…</mark>` (the rest HTML-escaped). */
  readonly highlights?: Partial<Record<SearchField, string>>;
}

/** One value of a facet and how many models of the whole result (not the page) have it. */
export interface FacetCount {
  readonly value: string;
  readonly count: number;
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  /** Models matching the search, all pages. */
  readonly total: number;
  /** Per facet, its values over the whole result, most frequent first (at most 20 each). */
  readonly facets: Readonly<Record<SearchFacet, readonly FacetCount[]>>;
  readonly nextCursor?: string;
}

/**
 * A full-text index of models. Writes are idempotent (`upsert` replaces a model's document,
 * `remove` of a name not held does nothing), so a change applied twice leaves the same index.
 */
export interface SearchEngine {
  upsert(document: SearchDocument): void;
  remove(name: string): void;
  /** The document held for a name. */
  get(name: string): SearchDocument | undefined;
  readonly size: number;
  /**
   * The models matching `query` that `viewer` may see, ranked and paged; models the viewer may not
   * see count nowhere (hits, total, facets).
   *
   * @throws AppError 400 `invalid_cursor` for a cursor the engine did not issue for this query
   */
  search(query: SearchQuery, viewer: SearchViewer): SearchResult;
  /** The whole index as bytes that `load` of the same implementation reads back (a snapshot). */
  serialize(): Buffer;
}
