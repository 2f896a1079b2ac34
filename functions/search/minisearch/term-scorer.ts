import type MiniSearch from 'minisearch';
import type { IndexWrite } from './index-write';
import { PairPostings } from './pair-postings';

/** Per field id, the frequency of a term in each document (by MiniSearch's short id). */
type FieldTermData = Map<number, Map<number, number>>;

/** MiniSearch 7.2.0's internals read here (the version is pinned in package.json). */
export interface MiniSearchInternals {
  _index: {
    get(term: string): FieldTermData | undefined;
    atPrefix(prefix: string): Iterable<[string, FieldTermData]>;
    fuzzyGet(term: string, distance: number): Map<string, [FieldTermData, number]>;
  };
  _fieldIds: Record<string, number>;
  _fieldLength: Map<number, number[]>;
  _documentIds: Map<number, string>;
  _idToShortId: Map<string, number>;
  _nextId: number;
}

export const internalsOf = <T>(index: MiniSearch<T>): MiniSearchInternals => index as unknown as MiniSearchInternals;

/**
 * The collection as BM25+ sees it (public-statistics.ts): each live document's field lengths,
 * flat, `lengths[shortId × fieldCount + fieldId]`, −1 (or absent) for a removed document; which
 * short ids are public; and N and the average field lengths over public documents only, so that
 * no score depends on a document its viewer may not see (review finding 14).
 */
export interface CollectionStatistics {
  readonly lengths: ArrayLike<number>;
  readonly fieldCount: number;
  /** 1 for a live public document, by short id. */
  readonly publicFlags: ArrayLike<number>;
  readonly publicCount: number;
  averageLength(fieldId: number): number;
}

/** How a query term is looked up; MiniSearch's SearchOptions as this scorer reads them. */
export interface ScoringOptions {
  readonly boost: Readonly<Record<string, number>>;
  readonly prefix: (term: string) => boolean;
  readonly fuzzy: (term: string) => number | false;
  /** MiniSearch's defaults: 0.375 for a prefix match, 0.45 for a fuzzy one. */
  readonly weights: { readonly prefix: number; readonly fuzzy: number };
  /** BM25+ parameters, MiniSearch's defaults: k 1.2, b 0.7, d 0.5. */
  readonly bm25: { readonly k: number; readonly b: number; readonly d: number };
}

/** One index term a query term reached (itself, a longer term it prefixes, or one within its edits), with its weight. */
export interface DerivedTerm {
  readonly term: string;
  readonly weight: number;
  readonly data: FieldTermData;
}

/** One field's postings of one term, as typed arrays: iterating them is a tenth of the cost of iterating MiniSearch's Map. */
interface CompactPostings {
  /** `count` pairs (short id, frequency) from `from`: a snapshot's own array while the postings are still encoded, else a copy. */
  readonly pairs: Int32Array;
  readonly from: number;
  readonly count: number;
  /** How many of the ids are public documents: the term's document frequency in this field, as BM25 reads it. */
  readonly publicCount: number;
}

/** Most query terms a cache remembers the expansions of, before it starts again. */
const DERIVED_CACHE_LIMIT = 10_000;
/** Most (document, score) pairs the term scores cache holds, before it starts again: 12 bytes each, some 36 MB. */
const TERM_SCORES_LIMIT = 3_000_000;

/** One query term's scores: the short ids it reaches and each one's score (see termVector). */
export interface TermScores {
  readonly ids: Int32Array;
  readonly scores: Float64Array;
}

/**
 * What scoring computes from the index alone and can reuse until the index changes: each query
 * term's expansions (a prefix of a common word reaches thousands of terms), compact copies of
 * the postings read, with their public document counts, and each query term's scores. Common words are searched most (Zipf), so a warm search function reads most
 * postings from here. MiniSearch changes postings in place, so on a write the engine drops the
 * copies of the written document's postings, and the expansions when it brings a word new to the
 * index (MiniSearchEngine.write), and brings the term scores up to date (afterWrite).
 */
export class ScoringCache {
  readonly derived = new Map<string, DerivedTerm[]>();
  readonly postings = new WeakMap<Map<number, number>, CompactPostings>();

  compact(frequencies: Map<number, number>, publicFlags: ArrayLike<number>): CompactPostings {
    if (frequencies instanceof PairPostings) {
      // Read in place: nothing to copy, and no WeakMap entry (which slows every collection).
      const { source, from, count } = frequencies.pairs();
      let publicCount = frequencies.publicCount;
      if (publicCount === undefined) {
        publicCount = 0;
        for (let at = from, end = from + 2 * count; at < end; at += 2) if (publicFlags[source[at] as number] === 1) publicCount += 1;
        frequencies.publicCount = publicCount;
      }
      return { pairs: source, from, count, publicCount };
    }
    let postings = this.postings.get(frequencies);
    if (postings === undefined) {
      const pairs = new Int32Array(2 * frequencies.size);
      let at = 0;
      let publicCount = 0;
      frequencies.forEach((frequency, shortId) => {
        pairs[at] = shortId;
        pairs[at + 1] = frequency;
        at += 2;
        if (publicFlags[shortId] === 1) publicCount += 1;
      });
      postings = { pairs, from: 0, count: frequencies.size, publicCount };
      this.postings.set(frequencies, postings);
    }
    return postings;
  }

  /**
   * A write added or removed one document in one field's postings of a term, which counted
   * `publicDelta` public documents more (+1, −1, or 0 for a private one): a Map's compact copy is
   * dropped (rebuilt when next read), a pair posting's public count moved.
   */
  recount(frequencies: Map<number, number>, publicDelta: number): void {
    this.postings.delete(frequencies);
    if (frequencies instanceof PairPostings && frequencies.publicCount !== undefined) frequencies.publicCount += publicDelta;
  }

  private scratchScores = new Float64Array(0);
  private scratchCounts = new Uint16Array(0);
  private scratchVector = new Float64Array(0);
  private scratchReached = new Uint8Array(0);

  /**
   * Zeroed arrays of `size` for one search's scores and match counts, reused from search to search:
   * two fresh 100k-element arrays per search were much of the garbage collector's work. The
   * scores stay valid until the next call.
   */
  scratch(size: number): { scores: Float64Array; matched: Uint16Array } {
    if (this.scratchScores.length < size) {
      this.scratchScores = new Float64Array(Math.ceil(size * 1.25));
      this.scratchCounts = new Uint16Array(this.scratchScores.length);
    } else {
      this.scratchScores.fill(0, 0, size);
      this.scratchCounts.fill(0, 0, size);
    }
    return { scores: this.scratchScores, matched: this.scratchCounts };
  }

  /** The same for one term's scores while termVector sums them. */
  vectorScratch(size: number): { scores: Float64Array; reached: Uint8Array } {
    if (this.scratchVector.length < size) {
      this.scratchVector = new Float64Array(Math.ceil(size * 1.25));
      this.scratchReached = new Uint8Array(this.scratchVector.length);
    } else {
      this.scratchVector.fill(0, 0, size);
      this.scratchReached.fill(0, 0, size);
    }
    return { scores: this.scratchVector, reached: this.scratchReached };
  }

  /** Each query term's scores, until a write moves what they depend on (afterWrite). */
  private readonly scored = new Map<string, TermScores>();
  private scoredPairs = 0;

  termScores(term: string, compute: () => TermScores): TermScores {
    let vector = this.scored.get(term);
    if (vector === undefined) {
      vector = compute();
      if (this.scoredPairs + vector.ids.length > TERM_SCORES_LIMIT) this.forgetScores();
      this.scored.set(term, vector);
      this.scoredPairs += vector.ids.length;
    }
    return vector;
  }

  /** Drops every query term's scores. */
  forgetScores(): void {
    this.scored.clear();
    this.scoredPairs = 0;
  }

  private forgetTermScores(term: string): void {
    const vector = this.scored.get(term);
    if (vector === undefined) return;
    this.scored.delete(term);
    this.scoredPairs -= vector.ids.length;
  }

  /**
   * Brings each query term's cached scores up to date after a write, exactly: the result must be
   * what scoring afresh gives. When N or an average field length moved, every score did, and all
   * are dropped (no tolerance, however small the move: a score may depend only on public
   * statistics, exact for every viewer, review finding 14). Otherwise a query term's scores moved
   * only if it reaches a term whose public document count moved (dropped: its IDF moved), or
   * for the document written: its old short id leaves the scores and its new one enters, scored
   * by `score` (documentScore). Without this, every write made the next search of a common word
   * rescore its 89k postings.
   */
  afterWrite(write: IndexWrite, score: (derived: readonly DerivedTerm[], shortId: number) => number | undefined): void {
    if (write.statisticsMoved) {
      this.forgetScores();
      return;
    }
    const reaches = (reached: ReadonlySet<string>, terms: ReadonlySet<string>): boolean => {
      for (const term of terms) if (reached.has(term)) return true;
      return false;
    };
    for (const [term, vector] of this.scored) {
      const derived = this.derived.get(term);
      const reached = derived && this.reachedBy(derived);
      if (derived === undefined || reached === undefined || reaches(reached, write.recounted)) this.forgetTermScores(term);
      else if (reaches(reached, write.touched)) this.replaceDocument(term, vector, write.removed?.shortId, write.added && score(derived, write.added.shortId), write.added?.shortId);
    }
  }

  /** One term's scores with `removedId` taken out and `addedId` put in with `score` (when it reaches it). */
  private replaceDocument(term: string, vector: TermScores, removedId: number | undefined, score: number | undefined, addedId: number | undefined): void {
    const { ids, scores } = vector;
    const at = removedId === undefined ? -1 : ids.indexOf(removedId);
    if (at >= 0 && score !== undefined && addedId !== undefined) {
      ids[at] = addedId;
      scores[at] = score;
    } else if (at >= 0) {
      ids.copyWithin(at, at + 1);
      scores.copyWithin(at, at + 1);
      this.scored.set(term, { ids: ids.subarray(0, ids.length - 1), scores: scores.subarray(0, scores.length - 1) });
      this.scoredPairs -= 1;
    } else if (score !== undefined && addedId !== undefined) {
      const grownIds = new Int32Array(ids.length + 1);
      const grownScores = new Float64Array(ids.length + 1);
      grownIds.set(ids);
      grownScores.set(scores);
      grownIds[ids.length] = addedId;
      grownScores[ids.length] = score;
      this.scored.set(term, { ids: grownIds, scores: grownScores });
      this.scoredPairs += 1;
    }
  }

  private readonly reachedSets = new WeakMap<readonly DerivedTerm[], ReadonlySet<string>>();

  /** The index terms of one query term's expansions, as a set, built once per expansion list (a prefix's can hold thousands). */
  reachedBy(derived: readonly DerivedTerm[]): ReadonlySet<string> {
    let reached = this.reachedSets.get(derived);
    if (reached === undefined) {
      reached = new Set(derived.map(({ term }) => term));
      this.reachedSets.set(derived, reached);
    }
    return reached;
  }

  /**
   * Forgets the cached expansions that `added`, an index term new to the index, now belongs to: a
   * query term it equals, prefixes (where prefix search applies), or is within the query term's
   * edits of. A write brings such terms on most writes (a model's name is mostly its own words),
   * and dropping every expansion then made the next searches walk the index tree again.
   */
  forgetExpansionsReaching(added: string, options: Pick<ScoringOptions, 'prefix' | 'fuzzy'>): void {
    for (const term of this.derived.keys()) {
      if (expandsTo(term, added, options)) {
        this.derived.delete(term);
        this.forgetTermScores(term);
      }
    }
  }

  /**
   * An index term that a write took out of the index (the document rewritten was its only one,
   * as for most words of a model's name) and put back, with new postings `data`: the cached
   * expansions that held it keep it, with `data`, rather than being forgotten, so that rewriting a
   * model's download count leaves a common word's expansions and scores in place.
   */
  rebindExpansions(returned: string, data: FieldTermData, options: Pick<ScoringOptions, 'prefix' | 'fuzzy'>): void {
    for (const [term, derived] of this.derived) {
      if (!expandsTo(term, returned, options)) continue;
      const at = derived.findIndex((entry) => entry.term === returned);
      if (at < 0) {
        this.derived.delete(term);
        this.forgetTermScores(term);
      } else derived[at] = { ...(derived[at] as DerivedTerm), data };
    }
  }

  expansions(term: string, compute: () => DerivedTerm[]): DerivedTerm[] {
    let derived = this.derived.get(term);
    if (derived === undefined) {
      if (this.derived.size >= DERIVED_CACHE_LIMIT) this.derived.clear();
      derived = compute();
      this.derived.set(term, derived);
    }
    return derived;
  }
}

/** The documents a query matched, as dense arrays over MiniSearch's short ids. */
export interface ScoredTerms {
  /** Short ids of the documents matched (all query terms for AND, any for OR), unordered. */
  readonly ids: number[];
  /** Score by short id: BM25+ with field boosts and match weights, times the number of query terms matched, as MiniSearch's `search` scores. Valid until the cache's next search. */
  readonly scores: Float64Array;
  /** Every index term the query reached (exactly, as a prefix or within its edits): what highlights mark. */
  readonly reached: ReadonlySet<string>;
}

/**
 * MiniSearch's scoring (executeQuery/termResults of 7.2.0, the same formula and weights) over
 * its own index, into typed arrays instead of a result object per matched document. At 100k
 * models a common word matches most of them; MiniSearch's `search` then builds and sorts 80k
 * objects, some 150 ms, where this engine needs only scores (for a page) and ids (for the total
 * and facets). Documents removed are skipped (their lengths are −1).
 *
 * One deliberate difference: N, document frequencies and average field lengths are those of the
 * public documents (`statistics`, see CollectionStatistics), where MiniSearch counts every
 * document. A term no public document holds gets the highest IDF, ln(1 + (N + 0.5) / 0.5), finite
 * and positive even for N = 0. test/unit/search/minisearch-ranking.test.ts checks that on an
 * all-public corpus the scores equal MiniSearch's own `search`, so an upgrade that changes the
 * internals fails there.
 */
export function scoreTerms<T>(index: MiniSearch<T>, terms: readonly string[], combineWith: 'AND' | 'OR', options: ScoringOptions, statistics: CollectionStatistics, cache: ScoringCache = new ScoringCache()): ScoredTerms {
  const internals = internalsOf(index);
  const unique = [...new Set(terms)];
  const size = internals._nextId;
  const { scores, matched } = cache.scratch(size);
  const derivedByTerm = unique.map((term) => cache.expansions(term, () => derivedTerms(internals, term, options)));
  derivedByTerm.forEach((derived, termIndex) => {
    const term = unique[termIndex] as string;
    const vector = cache.termScores(term, () => termVector(internals, derived, options, statistics, cache));
    const { ids, scores: termScores } = vector;
    for (let at = 0; at < ids.length; at += 1) {
      const shortId = ids[at] as number;
      scores[shortId] = (scores[shortId] as number) + (termScores[at] as number);
      matched[shortId] = (matched[shortId] as number) + 1;
    }
  });
  const needed = combineWith === 'AND' ? unique.length : 1;
  const ids: number[] = [];
  for (let shortId = 0; shortId < size; shortId += 1) {
    const count = matched[shortId] as number;
    if (count >= needed && count > 0) {
      ids.push(shortId);
      scores[shortId] = (scores[shortId] as number) * count;
    }
  }
  const reachedSets = derivedByTerm.map((derived) => cache.reachedBy(derived));
  const reached = reachedSets.length === 1 ? reachedSets[0] as ReadonlySet<string> : new Set(reachedSets.flatMap((set) => [...set]));
  return { ids, scores, reached };
}

/**
 * One query term's score in every live document it reaches, summed over its expansions and the
 * fields (MiniSearch's termResults for one term), as the ids it reaches and their scores.
 */
function termVector(internals: MiniSearchInternals, derived: readonly DerivedTerm[], options: ScoringOptions, statistics: CollectionStatistics, cache: ScoringCache): TermScores {
  const size = internals._nextId;
  const { scores, reached } = cache.vectorScratch(size);
  const touched: number[] = [];
  const fields = scoredFields(internals, options);
  const { lengths, fieldCount, publicFlags } = statistics;
  for (const { weight, data } of derived) {
    for (const { boost, id: fieldId } of fields) {
      const frequencies = data.get(fieldId);
      if (frequencies === undefined) continue;
      const postings = cache.compact(frequencies, publicFlags);
      const field = fieldWeights(weight * boost, postings.publicCount, fieldId, options, statistics);
      const { pairs } = postings;
      for (let at = postings.from, end = postings.from + 2 * postings.count; at < end; at += 2) {
        const shortId = pairs[at] as number;
        const length = lengths[shortId * fieldCount + fieldId];
        if (length === undefined || length < 0) continue;
        scores[shortId] = (scores[shortId] as number) + bm25Plus(field, pairs[at + 1] as number, length);
        if (reached[shortId] === 0) {
          reached[shortId] = 1;
          touched.push(shortId);
        }
      }
    }
  }
  const ids = Int32Array.from(touched);
  const vector = new Float64Array(ids.length);
  for (let at = 0; at < ids.length; at += 1) vector[at] = scores[ids[at] as number] as number;
  return { ids, scores: vector };
}

/**
 * One query term's score in one document, `undefined` when it does not reach it: what termVector
 * gives it, summed in the same order, so equal to the last bit (ScoringCache.afterWrite).
 * `holds` is every index term of the document: an expansion of a prefix can reach thousands of
 * terms, and only those it holds are looked up.
 */
export function documentScore(internals: MiniSearchInternals, derived: readonly DerivedTerm[], shortId: number, holds: ReadonlySet<string>, options: ScoringOptions, statistics: CollectionStatistics, cache: ScoringCache): number | undefined {
  const { lengths, fieldCount, publicFlags } = statistics;
  const fields = scoredFields(internals, options);
  let score: number | undefined;
  for (const { term, weight, data } of derived) {
    if (!holds.has(term)) continue;
    for (const { boost, id: fieldId } of fields) {
      const frequencies = data.get(fieldId);
      const frequency = frequencies?.get(shortId);
      const length = lengths[shortId * fieldCount + fieldId];
      if (frequencies === undefined || frequency === undefined || length === undefined || length < 0) continue;
      const field = fieldWeights(weight * boost, cache.compact(frequencies, publicFlags).publicCount, fieldId, options, statistics);
      score = (score ?? 0) + bm25Plus(field, frequency, length);
    }
  }
  return score;
}

/** The fields scored, each with its MiniSearch field id and boost, in the order their scores are summed. */
const scoredFields = (internals: MiniSearchInternals, options: ScoringOptions): { boost: number; id: number }[] =>
  Object.entries(options.boost).map(([field, boost]) => ({ boost, id: internals._fieldIds[field] as number }));

/** What BM25+ needs of one field's postings of one derived term, whatever the document (see bm25Plus). */
interface FieldWeights {
  /** Match weight × field boost × IDF. */
  readonly factor: number;
  readonly k: number;
  readonly d: number;
  /** BM25+'s length normalisation, k × (1 − b + b × length / average), split as normBase + normPerLength × length so a posting multiplies once. */
  readonly normBase: number;
  readonly normPerLength: number;
}

function fieldWeights(weightTimesBoost: number, publicCount: number, fieldId: number, options: ScoringOptions, statistics: CollectionStatistics): FieldWeights {
  const { k, b, d } = options.bm25;
  const total = statistics.publicCount;
  const idf = Math.log(1 + (total - publicCount + 0.5) / (publicCount + 0.5));
  return { factor: weightTimesBoost * idf, k, d, normBase: k * (1 - b), normPerLength: (k * b) / statistics.averageLength(fieldId) };
}

/** BM25+ of one posting (MiniSearch's calcBM25Score with the factor hoisted). */
const bm25Plus = (field: FieldWeights, frequency: number, length: number): number =>
  field.factor * (field.d + (frequency * (field.k + 1)) / (frequency + field.normBase + field.normPerLength * length));

/** Whether a query term's expansions hold `indexTerm`: it equals it, prefixes it (where prefix search applies), or is within its edits. */
function expandsTo(queryTerm: string, indexTerm: string, options: Pick<ScoringOptions, 'prefix' | 'fuzzy'>): boolean {
  const distance = options.fuzzy(queryTerm);
  return queryTerm === indexTerm || (options.prefix(queryTerm) && indexTerm.startsWith(queryTerm)) || (distance !== false && distance > 0 && withinEdits(queryTerm, indexTerm, distance));
}

/**
 * Whether `a` and `b` are within `distance` edits (insertions, deletions, substitutions:
 * Levenshtein, as MiniSearch's fuzzy search counts them), by the banded dynamic programme.
 */
export function withinEdits(a: string, b: string, distance: number): boolean {
  if (Math.abs(a.length - b.length) > distance) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, at) => at);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      current.push(value);
      if (value < best) best = value;
    }
    if (best > distance) return false;
    previous = current;
  }
  return (previous[b.length] as number) <= distance;
}

/** The index terms one query term reaches, weighted as MiniSearch's executeQuerySpec weighs them: exact 1, prefix and fuzzy less with distance; by term. */
function derivedTerms(internals: MiniSearchInternals, term: string, options: ScoringOptions): DerivedTerm[] {
  const derived: DerivedTerm[] = [];
  const exact = internals._index.get(term);
  if (exact) derived.push({ term, weight: 1, data: exact });
  const maxDistance = options.fuzzy(term);
  const fuzzy = maxDistance ? internals._index.fuzzyGet(term, maxDistance) : undefined;
  if (options.prefix(term)) {
    for (const [longer, data] of internals._index.atPrefix(term)) {
      const distance = longer.length - term.length;
      if (!distance) continue;
      fuzzy?.delete(longer);
      derived.push({ term: longer, weight: (options.weights.prefix * longer.length) / (longer.length + 0.3 * distance), data });
    }
  }
  for (const [near, [data, distance]] of fuzzy ?? []) {
    if (!distance) continue;
    derived.push({ term: near, weight: (options.weights.fuzzy * near.length) / (near.length + distance), data });
  }
  // In term order, not the tree's: that moves when a write takes a word out of the index and puts
  // it back (rebindExpansions), and scores summed in another order can differ in the last bit;
  // sorted, cached and fresh scores agree exactly.
  return derived.sort((a, b) => (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
}
