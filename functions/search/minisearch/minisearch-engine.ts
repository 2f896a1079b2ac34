import MiniSearch, { type Options, type SearchOptions } from 'minisearch';
import {
  SEARCH_FIELDS,
  type SearchDocument,
  type SearchEngine,
  type SearchField,
  type SearchHit,
  type SearchQuery,
  type SearchResult,
  type SearchViewer,
} from '../search-engine';
import { FacetDictionary } from './facet-counts';
import { decodeSnapshot, encodeSnapshot } from './index-snapshot';
import { compileFilters, indexedEntry, type CompiledFilter, type EntryFilter, type IndexedEntry } from './indexed-entry';
import { PublicStatistics } from './public-statistics';
import { describeWrite, type WrittenDocument } from './index-write';
import { documentScore, internalsOf, ScoringCache, scoreTerms, type ScoringOptions } from './term-scorer';
import { numericSort, pageAfter, positionOf, resumeAt, type ResultSet } from './result-order';
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor';
import { highlight, processTerm, tokenizeDocument, tokenizeQuery } from './text-analysis';

/**
 * Field weights, multiplied into each field's BM25+ score (issue 13: name > title > keywords >
 * authors > description). Discipline, which the issue does not rank, sits between authors and
 * description. Each step is at least 1.5×, more than the spread of documentBoost between two
 * models of similar quality.
 */
export const SEARCH_BOOSTS: Readonly<Record<SearchField, number>> = { name: 6, title: 4, keywords: 3, authors: 2, discipline: 1.5, description: 1 };

/** Typo tolerance (issue 13): one edit for words of 5 letters or more, none below, where a single edit turns too many short words into others. */
export const fuzzyDistance = (term: string): number | false => (term.length >= 5 ? 1 : false);

/** Prefix search on every query word of 2 letters or more: one letter would match a fifth of the vocabulary and only slow the search. */
export const prefixSearch = (term: string): boolean => term.length >= 2;

/** A field's text as indexed and highlighted. Authors read `Name (ORCID)`, so both are searchable. */
export function fieldText(document: SearchDocument, field: SearchField): string | undefined {
  switch (field) {
    case 'name': return document.name;
    case 'title': return document.title;
    case 'description': return document.description;
    case 'discipline': return document.discipline;
    case 'keywords': return document.keywords.length > 0 ? document.keywords.join(', ') : undefined;
    case 'authors': return document.authors.length > 0 ? document.authors.map((author) => (author.orcid ? `${author.name} (${author.orcid})` : author.name)).join('; ') : undefined;
  }
}

const SEARCH_OPTIONS: SearchOptions = {
  boost: SEARCH_BOOSTS,
  prefix: prefixSearch,
  fuzzy: fuzzyDistance,
  maxFuzzy: 1,
  combineWith: 'AND',
  tokenize: tokenizeQuery,
  processTerm,
};

/** The same, for the scorer (term-scorer.ts), with MiniSearch's default match weights and BM25+ parameters spelled out. */
const SCORING: ScoringOptions = {
  boost: SEARCH_BOOSTS,
  prefix: prefixSearch,
  fuzzy: fuzzyDistance,
  weights: { prefix: 0.375, fuzzy: 0.45 },
  bm25: { k: 1.2, b: 0.7, d: 0.5 },
};

/** MiniSearch's options; a snapshot must be loaded with the very ones it was built with. */
const MINISEARCH_OPTIONS: Options<SearchDocument> = {
  idField: 'name',
  fields: [...SEARCH_FIELDS],
  storeFields: [],
  extractField: (document, field) => (field === 'name' ? document.name : fieldText(document, field as SearchField) ?? ''),
  tokenize: tokenizeDocument,
  processTerm,
  searchOptions: SEARCH_OPTIONS,
};

export { SearchSnapshotError, SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './index-snapshot';

/**
 * SearchEngine in one process, on MiniSearch 7.2.0 (issue 13 measured it best of the embedded
 * libraries at 100k models). MiniSearch ranks text; this class keeps the documents, decides who
 * sees what, filters, counts facets and pages, always over the whole result (never by paging
 * through MiniSearch's hits), so totals and facets never depend on the page.
 *
 * Relevance is MiniSearch's BM25+ with SEARCH_BOOSTS, prefix and fuzzy matches weighted down by
 * MiniSearch's defaults (0.375 and 0.45), times documentBoost (document-boost.ts), with BM25's
 * collection statistics counted over public documents only (public-statistics.ts, review finding
 * 14), so no score or order moves with a document its viewer may not see. All words of
 * `q` must match (each exactly, as a prefix, or within one edit); when no model the viewer may
 * see matches them all, any word may match, so a stray word ranks instead of emptying the result.
 */
export class MiniSearchEngine implements SearchEngine {
  private readonly entries = new Map<string, IndexedEntry>();
  /** The entries by MiniSearch's short id for them, so the scorer's dense arrays map to entries without a lookup by name. */
  private readonly byShortId: (IndexedEntry | undefined)[] = [];
  private readonly statistics = new PublicStatistics(SEARCH_FIELDS.length);
  private resultIds = new Int32Array(0);
  private resultScores = new Float64Array(0);
  /** documentBoost by short id, beside the entries for the same reason as the statistics' arrays. */
  private boosts = new Float64Array(1024);
  /** Kept across writes, less what each write changes (write, recountPostings, ScoringCache.afterWrite). */
  private readonly cache = new ScoringCache();

  private readonly facets: FacetDictionary;

  /** `facets`: the documents' facet values, already recorded (a snapshot's); else recorded here. */
  private constructor(private readonly index: MiniSearch<SearchDocument>, documents: Iterable<SearchDocument>, facets?: FacetDictionary) {
    const recorded = facets !== undefined;
    this.facets = facets ?? new FacetDictionary();
    for (const document of documents) this.entries.set(document.name, indexedEntry(document));
    for (const [shortId, name] of internalsOf(index)._documentIds) this.track(shortId, this.entries.get(name), recorded);
  }

  /** Records (or with no entry, forgets) the entry, field lengths, visibility and (unless `recorded`) facet values of a short id. */
  private track(shortId: number, entry: IndexedEntry | undefined, recorded = false): void {
    this.byShortId[shortId] = entry;
    if (entry) {
      if (shortId >= this.boosts.length) {
        const boosts = new Float64Array(Math.max(shortId + 1, this.boosts.length * 2));
        boosts.set(this.boosts);
        this.boosts = boosts;
      }
      this.boosts[shortId] = entry.boost;
      this.statistics.track(shortId, internalsOf(this.index)._fieldLength.get(shortId), entry.isPublic);
      if (!recorded) this.facets.record(shortId, entry.document);
    } else this.statistics.untrack(shortId);
  }

  /** An engine holding `documents` (names unique). */
  static create(documents: readonly SearchDocument[] = []): MiniSearchEngine {
    const index = new MiniSearch<SearchDocument>(MINISEARCH_OPTIONS);
    const latest = new Map(documents.map((document) => [document.name, document]));
    index.addAll([...latest.values()]);
    return new MiniSearchEngine(index, latest.values());
  }

  /**
   * The engine a snapshot from serialize() holds.
   *
   * @throws SearchSnapshotError when the bytes are not such a snapshot, of SNAPSHOT_VERSION, whole
   */
  static load(bytes: Uint8Array): MiniSearchEngine {
    const { index, documents, facets } = decodeSnapshot(bytes, MINISEARCH_OPTIONS, SEARCH_FIELDS.length, isSearchDocument);
    // Every update takes a new short id, and a search allocates arrays as long as the largest: once
    // most ids are dead, rebuilding from the documents (seconds) is cheaper than carrying them on.
    if (internalsOf(index)._nextId > 2 * Math.max(documents.length, 10_000)) return MiniSearchEngine.create(documents);
    return new MiniSearchEngine(index, documents, facets);
  }

  get size(): number {
    return this.entries.size;
  }

  get(name: string): SearchDocument | undefined {
    return this.entries.get(name)?.document;
  }

  upsert(document: SearchDocument): void {
    this.write(document.name, document);
  }

  remove(name: string): void {
    this.write(name, undefined);
  }

  /**
   * Replaces the document named `name` by `document` (either side may be absent), then tells the
   * scorer's cache what moved (index-write.ts), so that it keeps what the write left exact.
   */
  private write(name: string, document: SearchDocument | undefined): void {
    const old = this.entries.get(name);
    if (old === undefined && document === undefined) return;
    const internals = internalsOf(this.index);
    const totalsBefore = this.statistics.totals();
    let removed: WrittenDocument | undefined;
    if (old) {
      removed = { shortId: internals._idToShortId.get(name) as number, isPublic: old.isPublic, terms: indexTerms(old.document) };
      this.entries.delete(name);
      this.track(removed.shortId, undefined);
      // Before the removal, while an emptied posting is still in the index to be found.
      this.recountPostings(removed.terms, old.isPublic ? -1 : 0);
      // remove, with the document as indexed, not discard: a discarded document stays in its terms'
      // postings until a vacuum, and counts there, so a term's document frequency could pass the
      // document count and its IDF, and the scores of what matches it, turn negative.
      this.index.remove(old.document);
    }
    // Words the removal took out of the index: put back by the add, they are not new to it.
    const gone = new Set(removed?.terms.flat().filter((term) => internals._index.get(term) === undefined));
    let added: WrittenDocument | undefined;
    if (document) {
      const terms = indexTerms(document);
      // A word new to the index changes what a cached exact word, prefix or typo reaches; any other
      // write changes only the postings of the document's own words.
      const absent = [...new Set(terms.flat())].filter((term) => internals._index.get(term) === undefined);
      for (const term of absent) if (!gone.has(term)) this.cache.forgetExpansionsReaching(term, SCORING);
      this.index.add(document);
      for (const term of absent) if (gone.has(term)) this.cache.rebindExpansions(term, internals._index.get(term) as Map<number, Map<number, number>>, SCORING);
      const entry = indexedEntry(document);
      this.recountPostings(terms, entry.isPublic ? 1 : 0);
      this.entries.set(document.name, entry);
      added = { shortId: internals._idToShortId.get(document.name) as number, isPublic: entry.isPublic, terms };
      this.track(added.shortId, entry);
    }
    const totalsAfter = this.statistics.totals();
    const statisticsMoved = totalsBefore.some((total, at) => total !== totalsAfter[at]);
    const holds = new Set(added?.terms.flat());
    this.cache.afterWrite(describeWrite(removed, added, statisticsMoved), (derived, shortId) => documentScore(internals, derived, shortId, holds, SCORING, this.statistics, this.cache));
  }

  /**
   * Tells the scorer that a write added (`publicDelta` +1 if public, else 0) or removed (−1 if
   * public, else 0) one document in the postings of `terms` (by field id), which MiniSearch
   * changes in place; every other posting, and its public count, is unchanged by it. A posting
   * emptied by a removal leaves the index, and a copy of it can only be reached through a cached
   * expansion, where its ids are no longer live (lengths −1, not public) and count nowhere.
   */
  private recountPostings(terms: readonly (readonly string[])[], publicDelta: number): void {
    const { _index } = internalsOf(this.index);
    terms.forEach((fieldTerms, fieldId) => {
      for (const term of fieldTerms) {
        const postings = _index.get(term)?.get(fieldId);
        if (postings) this.cache.recount(postings, publicDelta);
      }
    });
  }

  /**
   * Privacy first: every candidate passes `compileFilters` (visibility, then filters) before it
   * is counted, so hits, total and facets only ever see what the viewer may. `relevance` without
   * `q` orders as `updated` does.
   *
   * @throws AppError 400 `invalid_cursor`, `invalid_updated_since`
   */
  search(query: SearchQuery, viewer: SearchViewer): SearchResult {
    const text = query.q?.trim() ?? '';
    const filter = compileFilters(query.filters, viewer);
    const sort = query.sort === 'relevance' && text === '' ? 'updated' : query.sort;
    const stored = query.cursor === undefined ? undefined : decodeSearchCursor(query.cursor, query, numericSort(sort));
    const result = text === '' ? this.filtered(filter.admits) : this.matching(text, filter);
    const after = stored && resumeAt(stored, result.set, sort, internalsOf(this.index)._idToShortId.get(stored.name));
    const facets = this.facets.count(result.set.ids, result.set.length);
    // search-query.ts keeps limit within 1–100; a page is never empty of room, whatever a caller passes.
    const limit = Math.min(100, Math.max(1, Math.trunc(query.limit) || 1));
    const { page, more } = pageAfter(result.set, sort, query.direction, limit, after);
    const { reached } = result;
    const hits = page.map((candidate): SearchHit => {
      return reached === undefined
        ? { document: candidate.entry.document }
        : { document: candidate.entry.document, score: candidate.score, highlights: highlightsOf(candidate.entry.document, reached) };
    });
    const last = page[page.length - 1];
    return {
      hits,
      total: result.set.length,
      facets,
      ...(more && last ? { nextCursor: encodeSearchCursor(positionOf(last, sort), query) } : {}),
    };
  }

  /** serialize(): the snapshot format of index-snapshot.ts. */
  serialize(): Buffer {
    return encodeSnapshot(this.index, SEARCH_FIELDS.length, (shortId) => (this.byShortId[shortId] as IndexedEntry).document, this.facets);
  }

  /** The engine's result arrays, at least `size` long, reused from search to search (a search reads its result before the next begins). */
  private resultArrays(size: number): { ids: Int32Array; scores: Float64Array } {
    if (this.resultIds.length < size) {
      this.resultIds = new Int32Array(Math.ceil(size * 1.25));
      this.resultScores = new Float64Array(this.resultIds.length);
    }
    return { ids: this.resultIds, scores: this.resultScores };
  }

  /** Filter-only: every admitted model, in short id order, score 0; pageAfter orders them. */
  private filtered(admits: EntryFilter): { set: ResultSet; reached?: ReadonlySet<string> } {
    const { byShortId } = this;
    const { ids, scores } = this.resultArrays(byShortId.length);
    let length = 0;
    for (let id = 0; id < byShortId.length; id += 1) {
      const entry = byShortId[id];
      if (entry !== undefined && admits(entry)) {
        ids[length] = id;
        scores[length] = 0;
        length += 1;
      }
    }
    return { set: { ids, scores, length, entries: byShortId } };
  }

  private matching(text: string, { admits, visibilityOnly }: CompiledFilter): { set: ResultSet; reached?: ReadonlySet<string> } {
    const terms = tokenizeQuery(text).map(processTerm).filter((term) => term !== '');
    const run = (combineWith: 'AND' | 'OR') => {
      const scored = scoreTerms(this.index, terms, combineWith, SCORING, this.statistics, this.cache);
      const { ids, scores } = this.resultArrays(scored.ids.length);
      const { publicFlags } = this.statistics;
      const { boosts, byShortId } = this;
      let length = 0;
      for (const shortId of scored.ids) {
        // A public model with no filter set is admitted from flat arrays, without reading its entry.
        if ((visibilityOnly && publicFlags[shortId] === 1) || admits(byShortId[shortId] as IndexedEntry)) {
          ids[length] = shortId;
          scores[length] = (scored.scores[shortId] as number) * (boosts[shortId] as number);
          length += 1;
        }
      }
      return { set: { ids, scores, length, entries: byShortId }, reached: scored.reached };
    };
    const all = run('AND');
    return all.set.length > 0 || new Set(terms).size < 2 ? all : run('OR');
  }
}

/** A document's index terms per field id (SEARCH_FIELDS order), as MiniSearch's add derives them with MINISEARCH_OPTIONS. */
function indexTerms(document: SearchDocument): string[][] {
  return SEARCH_FIELDS.map((field) => {
    const text = field === 'name' ? document.name : fieldText(document, field) ?? '';
    return [...new Set(tokenizeDocument(text).map(processTerm).filter((term) => term !== ''))];
  });
}

/**
 * For each field whose text holds a term the query reached, that text with those terms marked.
 * Read again from the document rather than from the index's postings: a prefix can reach
 * thousands of terms, and only the page's 20 documents are read.
 */
function highlightsOf(document: SearchDocument, reached: ReadonlySet<string>): Partial<Record<SearchField, string>> {
  const highlights: Partial<Record<SearchField, string>> = {};
  for (const field of SEARCH_FIELDS) {
    const value = fieldText(document, field);
    const marked = value === undefined ? undefined : highlight(value, reached);
    if (marked !== undefined) highlights[field] = marked;
  }
  return highlights;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const optionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

/** The shape of a SearchDocument, checked as far as a search relies on it (a damaged snapshot is refused, not half-loaded). */
function isSearchDocument(value: unknown): value is SearchDocument {
  if (value === null || typeof value !== 'object') return false;
  const doc = value as Record<string, unknown>;
  return isString(doc.name) && isString(doc.owner) && isString(doc.framework) && isString(doc.createdAt) && isString(doc.updatedAt)
    && (doc.visibility === 'public' || doc.visibility === 'private')
    && typeof doc.published === 'boolean' && typeof doc.hasDoi === 'boolean'
    && typeof doc.downloads === 'number' && typeof doc.predictions === 'number'
    && Array.isArray(doc.keywords) && doc.keywords.every(isString)
    && Array.isArray(doc.grantees) && doc.grantees.every(isString)
    && Array.isArray(doc.authors) && doc.authors.every((author: unknown) => author !== null && typeof author === 'object' && isString((author as { name?: unknown }).name) && optionalString((author as { orcid?: unknown }).orcid))
    && [doc.type, doc.title, doc.description, doc.discipline, doc.task, doc.license].every(optionalString);
}

/** The engine a snapshot holds: MiniSearchEngine.load. @throws SearchSnapshotError */
export const loadMiniSearchEngine = (bytes: Uint8Array): MiniSearchEngine => MiniSearchEngine.load(bytes);

/** An engine over `documents`: MiniSearchEngine.create. */
export const createMiniSearchEngine = (documents: readonly SearchDocument[] = []): MiniSearchEngine => MiniSearchEngine.create(documents);
