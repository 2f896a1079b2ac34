import type { SearchSort } from '../search-engine';
import type { IndexedEntry } from './indexed-entry';
import type { SortPosition } from './search-cursor';

/** One model of a page: its short id (MiniSearch's), its entry and its relevance (0 without `q`). */
export interface Candidate {
  readonly id: number;
  readonly entry: IndexedEntry;
  readonly score: number;
}

/**
 * A search's whole result, as flat arrays rather than an object per model (a common word matches
 * 90% of 100k models, and 90k objects per search were much of its time and garbage): the first
 * `length` of `ids` (short ids) and `scores` (relevance, 0 without `q`), in no order; `entries`
 * maps a short id to its entry. The arrays are the engine's, reused by its next search.
 */
export interface ResultSet {
  readonly ids: Int32Array;
  readonly scores: Float64Array;
  readonly length: number;
  readonly entries: readonly (IndexedEntry | undefined)[];
}

/** Whether a sort's value is a number (relevance, counters) rather than text (dates, names). */
export const numericSort = (sort: SearchSort): boolean => sort === 'relevance' || sort === 'downloads' || sort === 'predictions';

/** The value a model sorts by. Dates compare as their ISO 8601 text, which orders as time does for one format (UTC, `Z`). */
export function sortValue(entry: IndexedEntry, score: number, sort: SearchSort): number | string {
  if (sort === 'relevance') return score;
  const { document } = entry;
  switch (sort) {
    case 'updated': return document.updatedAt;
    case 'created': return document.createdAt;
    case 'name': return document.name;
    case 'downloads': return document.downloads;
    case 'predictions': return document.predictions;
  }
}

const compareRaw = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The order of a result: by the sort's value in `direction`, then by name ascending, so that
 * every two models are ordered (names are unique) and a page boundary is a single position.
 * Negative when (aValue, aName) comes first.
 */
export function compareSortKeys(aValue: number | string, aName: string, bValue: number | string, bName: string, direction: 'asc' | 'desc'): number {
  const byValue = compareRaw(aValue, bValue);
  if (byValue !== 0) return direction === 'asc' ? byValue : -byValue;
  return compareRaw(aName, bName);
}

export const positionOf = (candidate: Candidate, sort: SearchSort): SortPosition => ({ value: sortValue(candidate.entry, candidate.score, sort), name: candidate.entry.document.name });

/**
 * Where the next page starts, for a cursor's `stored` position, in the result as it is now;
 * `anchor` is the short id now held under the stored name, if any.
 *
 * Relevance: right after the anchor (the last hit shown), at its CURRENT score, when it is still
 * in the result; the stored score only when it is not (deleted, hidden, no longer matching). A
 * relevance score is not the model's own: any write of a public model moves BM25's statistics and
 * with them every score, so a stored score alone may lie above every remaining hit and the next
 * page come back empty (review finding 15). The order among models moves far less than the
 * scores, so the anchor's place in it is what the client has read up to.
 *
 * Every other sort: the stored value. Dates, names and counters are the models' own; a write
 * moves only the model written, so keyset paging on the stored value shows every unchanged model
 * exactly once. Re-reading the anchor's current value there would be worse: an anchor whose
 * downloads grew would restart the listing above everything shown since its old value.
 */
export function resumeAt(stored: SortPosition, result: ResultSet, sort: SearchSort, anchor: number | undefined): SortPosition {
  if (sort !== 'relevance' || anchor === undefined) return stored;
  for (let at = 0; at < result.length; at += 1) if (result.ids[at] === anchor) return { value: result.scores[at] as number, name: stored.name };
  return stored;
}

/**
 * The first `limit` candidates strictly after `after` in the order above, and whether more follow:
 * one pass keeping a sorted list of at most `limit` (at most 100), instead of sorting the whole
 * result to serve one page of it. Most candidates are refused by one comparison with the
 * list's last, without allocating.
 */
export function pageAfter(result: ResultSet, sort: SearchSort, direction: 'asc' | 'desc', limit: number, after?: SortPosition): { page: Candidate[]; more: boolean } {
  const page: Candidate[] = [];
  const values: (number | string)[] = [];
  let following = 0;
  const sign = direction === 'asc' ? 1 : -1;
  const { ids, scores, entries } = result;
  for (let at = 0; at < result.length; at += 1) {
    const id = ids[at] as number;
    const score = scores[at] as number;
    // For relevance the entry is read only on a tie of values or to enter the page: most models are refused on the score alone.
    const value = sort === 'relevance' ? score : sortValue(entries[id] as IndexedEntry, score, sort);
    if (after) {
      const byValue = compareRaw(value, after.value) * sign;
      if (byValue < 0 || (byValue === 0 && (entries[id] as IndexedEntry).document.name <= after.name)) continue;
    }
    following += 1;
    const last = page.length - 1;
    if (page.length === limit) {
      const byValue = compareRaw(value, values[last] as number | string) * sign;
      if (byValue > 0 || (byValue === 0 && (entries[id] as IndexedEntry).document.name >= (page[last] as Candidate).entry.document.name)) continue;
    }
    const entry = entries[id] as IndexedEntry;
    const name = entry.document.name;
    let slot = page.length;
    while (slot > 0 && compareSortKeys(value, name, values[slot - 1] as number | string, (page[slot - 1] as Candidate).entry.document.name, direction) < 0) slot -= 1;
    page.splice(slot, 0, { id, entry, score });
    values.splice(slot, 0, value);
    if (page.length > limit) {
      page.pop();
      values.pop();
    }
  }
  return { page, more: following > limit };
}
