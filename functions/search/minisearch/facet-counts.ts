import { SEARCH_FACETS, type FacetCount, type SearchDocument, type SearchFacet } from '../search-engine';
import { foldFilterValue } from './indexed-entry';

/** At most this many values per facet (issue 13; SearchResult.facets). */
export const FACET_VALUES_SHOWN = 20;

/**
 * Writes a document's values of one facet into `into` from index 0, one per value its filter
 * matches (folded as the filter folds them: foldFilterValue), each in the first spelling the
 * document gives it, and returns how many: `Vision` and `vision` in one document count once, as
 * `keyword=vision` finds it once. Into a reused array: a load records 100k documents × 7 facets,
 * and an array and a Set for each were most of that work for the collector.
 */
export function facetValuesInto(document: SearchDocument, facet: SearchFacet, into: string[]): number {
  switch (facet) {
    case 'author': return distinctInto(document.authors.map(({ name }) => name), into);
    case 'keyword': return distinctInto(document.keywords, into);
    case 'owner': into[0] = document.owner; return 1;
    case 'framework': into[0] = document.framework; return 1;
    case 'task': return valueInto(document.task, into);
    case 'license': return valueInto(document.license, into);
    case 'discipline': return valueInto(document.discipline, into);
  }
}

/** The values whose folded form no earlier one has, in their order. Documents hold a few, so a scan beats a Set. */
function distinctInto(values: readonly string[], into: string[]): number {
  let count = 0;
  values.forEach((value, at) => {
    const key = foldFilterValue(value);
    for (let earlier = 0; earlier < at; earlier += 1) if (foldFilterValue(values[earlier] as string) === key) return;
    into[count++] = value;
  });
  return count;
}

function valueInto(value: string | undefined, into: string[]): number {
  if (value === undefined) return 0;
  into[0] = value;
  return 1;
}

/** A document's values of one facet, each once (facetValuesInto), as an array of their own. */
export function facetValuesOf(document: SearchDocument, facet: SearchFacet): string[] {
  const values: string[] = [];
  values.length = facetValuesInto(document, facet, values);
  return values;
}

/**
 * Every facet value the index has held, numbered across all facets, so that counting a result is
 * incrementing one typed array rather than hashing strings: at 100k models a filter-only search
 * counts about a million values. Values are kept as written (each spelling its own id), and each
 * belongs to the group of its folded form (foldFilterValue): a facet counts groups, as its filter
 * matches them, shown in the spelling most of the counted documents give (ties: the first in code
 * point order), so that clicking a facet's value finds as many models as it said. Values are
 * never forgotten while the engine lives: a value no document has any more just counts 0, and a
 * snapshot load starts afresh.
 *
 * Each document's value ids are kept here, flat, by MiniSearch's short id (`record`), not on its
 * entry: counting 30k hits then reads two typed arrays in id order instead of chasing 30k
 * objects across the heap, which was most of a search's time at 100k models. A short id is never
 * reused (an update takes a new one), so ids of replaced documents stay as dead space until the
 * next load or rebuild.
 */
export class FacetDictionary {
  private readonly ids = SEARCH_FACETS.map(() => new Map<string, number>());
  /** Per facet, the global ids of its values. */
  private readonly idsByFacet = SEARCH_FACETS.map((): number[] => []);
  private readonly values: string[] = [];
  /** Per facet, the group id of each folded value; and by value id, its group's id (groups numbered across all facets). */
  private readonly groups = SEARCH_FACETS.map(() => new Map<string, number>());
  private readonly groupOf: number[] = [];
  private groupCount = 0;
  /** Value ids of every recorded document, back to back; a short id's run is [start[id], start[id] + size[id]). */
  private flat = new Uint32Array(1 << 16);
  private used = 0;
  private start = new Uint32Array(1 << 12);
  private size = new Uint16Array(1 << 12);
  private readonly scratchValues: string[] = [];

  /** Records a document's facet value ids under its short id. */
  record(shortId: number, document: SearchDocument): void {
    this.reserve(shortId);
    const from = this.used;
    const values = this.scratchValues;
    for (let facet = 0; facet < SEARCH_FACETS.length; facet += 1) {
      const count = facetValuesInto(document, SEARCH_FACETS[facet] as SearchFacet, values);
      for (let at = 0; at < count && this.used - from < 0xffff; at += 1) this.push(this.idOf(facet, values[at] as string));
    }
    this.start[shortId] = from;
    this.size[shortId] = this.used - from;
  }

  /** Every value recorded, by global id, and the index in SEARCH_FACETS of each one's facet: what a snapshot keeps (index-snapshot.ts). */
  dictionary(): { values: readonly string[]; facetOf: number[] } {
    const facetOf = new Array<number>(this.values.length);
    this.idsByFacet.forEach((ids, facet) => {
      for (const id of ids) facetOf[id] = facet;
    });
    return { values: this.values, facetOf };
  }

  /** The value ids recorded for a short id. */
  idsOf(shortId: number): Uint32Array {
    const from = this.start[shortId] ?? 0;
    return this.flat.subarray(from, from + (this.size[shortId] ?? 0));
  }

  /**
   * A dictionary as `dictionary()` gave it, so that a snapshot's documents are recorded by their
   * value ids (recordIds) without hashing their 1M values again.
   *
   * @throws RangeError when a facet index is not one of SEARCH_FACETS'
   */
  static restore(values: readonly string[], facetOf: readonly number[]): FacetDictionary {
    const dictionary = new FacetDictionary();
    values.forEach((value, id) => {
      const facet = facetOf[id] as number;
      if (!(facet >= 0 && facet < SEARCH_FACETS.length)) throw new RangeError(`facet ${facet} of value ${id} is not one of ${SEARCH_FACETS.length}`);
      dictionary.idOf(facet, value);
    });
    return dictionary;
  }

  /**
   * Records a document by value ids of this dictionary (`count` from `from` of `ids`).
   *
   * @throws RangeError when an id is not a value of the dictionary
   */
  recordIds(shortId: number, ids: Int32Array, from: number, count: number): void {
    this.reserve(shortId);
    const start = this.used;
    for (let at = from; at < from + count; at += 1) {
      const id = ids[at] as number;
      if (!(id >= 0 && id < this.values.length)) throw new RangeError(`facet value ${id} is not in the dictionary`);
      this.push(id);
    }
    this.start[shortId] = start;
    this.size[shortId] = this.used - start;
  }

  private reserve(shortId: number): void {
    if (shortId < this.start.length) return;
    const capacity = Math.max(shortId + 1, this.start.length * 2);
    const start = new Uint32Array(capacity);
    start.set(this.start);
    const size = new Uint16Array(capacity);
    size.set(this.size);
    this.start = start;
    this.size = size;
  }

  private push(id: number): void {
    if (this.used === this.flat.length) {
      const flat = new Uint32Array(this.flat.length * 2);
      flat.set(this.flat);
      this.flat = flat;
    }
    this.flat[this.used] = id;
    this.used += 1;
  }

  private idOf(facet: number, value: string): number {
    const ids = this.ids[facet] as Map<string, number>;
    let id = ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      (this.idsByFacet[facet] as number[]).push(id);
      ids.set(value, id);
      const groups = this.groups[facet] as Map<string, number>;
      const key = foldFilterValue(value);
      let group = groups.get(key);
      if (group === undefined) {
        group = this.groupCount;
        this.groupCount += 1;
        groups.set(key, group);
      }
      this.groupOf.push(group);
    }
    return id;
  }

  /** Counts of each facet's values over the first `length` short ids of `ids` (recorded ones) (the whole result, not a page), top FACET_VALUES_SHOWN, most frequent first, ties by value. */
  count(ids: Int32Array, length: number): Record<SearchFacet, FacetCount[]> {
    const counts = new Uint32Array(this.values.length);
    const { flat, start, size } = this;
    for (let at = 0; at < length; at += 1) {
      const shortId = ids[at] as number;
      const from = start[shortId] as number;
      const to = from + (size[shortId] as number);
      for (let index = from; index < to; index += 1) { const id = flat[index] as number; counts[id] = (counts[id] as number) + 1; }
    }
    // Each group's count (a document gives a group one spelling: facetValuesOf), and its most given spelling.
    const groupCounts = new Uint32Array(this.groupCount);
    const shown = new Int32Array(this.groupCount).fill(-1);
    const { groupOf, values } = this;
    const facets = {} as Record<SearchFacet, FacetCount[]>;
    SEARCH_FACETS.forEach((facet, index) => {
      const groupIds: number[] = [];
      for (const id of this.idsByFacet[index] as number[]) {
        const count = counts[id] as number;
        if (count === 0) continue;
        const group = groupOf[id] as number;
        if (groupCounts[group] === 0) groupIds.push(group);
        groupCounts[group] = (groupCounts[group] as number) + count;
        const best = shown[group] as number;
        if (best < 0 || count > (counts[best] as number) || (count === counts[best] && (values[id] as string) < (values[best] as string))) shown[group] = id;
      }
      facets[facet] = topValues(groupCounts, groupIds, (group) => values[shown[group] as number] as string);
    });
    return facets;
  }
}

const before = (a: FacetCount, b: FacetCount): boolean => a.count > b.count || (a.count === b.count && a.value < b.value);

/** The FACET_VALUES_SHOWN best of the counted groups, by insertion into a short sorted list (no sort of every value). */
function topValues(counts: Uint32Array, ids: readonly number[], valueOf: (id: number) => string): FacetCount[] {
  const top: FacetCount[] = [];
  for (const id of ids) {
    const count = counts[id] as number;
    if (count === 0 || (top.length === FACET_VALUES_SHOWN && count < (top[top.length - 1] as FacetCount).count)) continue;
    const candidate = { value: valueOf(id), count };
    if (top.length === FACET_VALUES_SHOWN && !before(candidate, top[top.length - 1] as FacetCount)) continue;
    let at = top.length;
    while (at > 0 && before(candidate, top[at - 1] as FacetCount)) at -= 1;
    top.splice(at, 0, candidate);
    if (top.length > FACET_VALUES_SHOWN) top.pop();
  }
  return top;
}
