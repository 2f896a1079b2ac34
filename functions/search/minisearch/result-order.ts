import type { SearchSort } from '../search-engine';
import type { IndexedEntry } from './indexed-entry';
import type { SortPosition } from './search-cursor';

/** One model of a result: its short id (MiniSearch's), its relevance, and when `q` was set, the index terms the query reached (shared by every candidate of a search). */
export interface Candidate {
  readonly id: number;
  readonly entry: IndexedEntry;
  readonly score: number;
  readonly reached?: ReadonlySet<string>;
}

/** Whether a sort's value is a number (relevance, counters) rather than text (dates, names). */
export const numericSort = (sort: SearchSort): boolean => sort === 'relevance' || sort === 'downloads' || sort === 'predictions';

/** The value a candidate sorts by. Dates compare as their ISO 8601 text, which orders as time does for one format (UTC, `Z`). */
export function sortValue(candidate: Candidate, sort: SearchSort): number | string {
  const { document } = candidate.entry;
  switch (sort) {
    case 'relevance': return candidate.score;
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

export const positionOf = (candidate: Candidate, sort: SearchSort): SortPosition => ({ value: sortValue(candidate, sort), name: candidate.entry.document.name });

/**
 * Where the next page starts, for a cursor's `stored` position, in the result as it is now;
 * `anchor` is the entry now held under the stored name, if any.
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
export function resumeAt(stored: SortPosition, result: readonly Candidate[], sort: SearchSort, anchor: IndexedEntry | undefined): SortPosition {
  if (sort !== 'relevance' || anchor === undefined) return stored;
  for (const candidate of result) if (candidate.entry === anchor) return positionOf(candidate, sort);
  return stored;
}

/**
 * The first `limit` candidates strictly after `after` in the order above, and whether more follow:
 * one pass keeping a sorted list of at most `limit` (at most 100), instead of sorting the whole
 * result to serve one page of it. Most candidates are refused by one comparison with the
 * list's last, without allocating.
 */
export function pageAfter(candidates: readonly Candidate[], sort: SearchSort, direction: 'asc' | 'desc', limit: number, after?: SortPosition): { page: Candidate[]; more: boolean } {
  const page: Candidate[] = [];
  const values: (number | string)[] = [];
  let following = 0;
  const sign = direction === 'asc' ? 1 : -1;
  for (const candidate of candidates) {
    const value = sortValue(candidate, sort);
    // The name is read only on a tie of values: most candidates are refused on the value alone.
    if (after) {
      const byValue = compareRaw(value, after.value) * sign;
      if (byValue < 0 || (byValue === 0 && candidate.entry.document.name <= after.name)) continue;
    }
    following += 1;
    const last = page.length - 1;
    if (page.length === limit) {
      const byValue = compareRaw(value, values[last] as number | string) * sign;
      if (byValue > 0 || (byValue === 0 && candidate.entry.document.name >= (page[last] as Candidate).entry.document.name)) continue;
    }
    const name = candidate.entry.document.name;
    let at = page.length;
    while (at > 0 && compareSortKeys(value, name, values[at - 1] as number | string, (page[at - 1] as Candidate).entry.document.name, direction) < 0) at -= 1;
    page.splice(at, 0, candidate);
    values.splice(at, 0, value);
    if (page.length > limit) {
      page.pop();
      values.pop();
    }
  }
  return { page, more: following > limit };
}
