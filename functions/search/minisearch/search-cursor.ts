import { createHash } from 'node:crypto';
import { invalid } from '../../errors/app-error';
import type { SearchQuery } from '../search-engine';

/**
 * Where a page ended: the sort value of its last hit (a number for relevance and counters, an
 * ISO date or name otherwise) and that hit's name, which breaks ties. The next page starts
 * strictly after it (keyset paging), so models added or removed between pages never shift it.
 * For relevance the name is also the anchor whose current score is used (result-order.ts,
 * resumeAt), since scores move with any write.
 */
export interface SortPosition {
  readonly value: number | string;
  readonly name: string;
}

/**
 * What makes two searches the same listing: the text, filters, order and direction. Not the
 * limit (a client may change page size between pages) nor the cursor itself.
 */
export function queryFingerprint(query: SearchQuery): string {
  const filters = Object.entries(query.filters).filter(([, value]) => value !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify([query.q?.trim() ?? '', filters, query.sort, query.direction]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** The opaque cursor: base64url JSON `{v, n, h}` (value, name, query fingerprint). */
export function encodeSearchCursor(position: SortPosition, query: SearchQuery): string {
  return Buffer.from(JSON.stringify({ v: position.value, n: position.name, h: queryFingerprint(query) }), 'utf8').toString('base64url');
}

const refused = () => invalid('invalid_cursor', 'The cursor is not one MLHub issued for this search; pass back the next_cursor of the previous page (or follow its Link header), with the same q, filters and sort');

/**
 * The position a cursor holds, for this query.
 *
 * @throws AppError 400 `invalid_cursor` when it is not base64url JSON of the shape above, its
 *   fingerprint is another query's, or its value is not of the type the sort needs (`numeric`)
 */
export function decodeSearchCursor(cursor: string, query: SearchQuery, numeric: boolean): SortPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  const { v, n, h } = (parsed ?? {}) as { v?: unknown; n?: unknown; h?: unknown };
  if (h !== queryFingerprint(query) || typeof n !== 'string') throw refused();
  if (typeof v === 'number' && numeric && Number.isFinite(v)) return { value: v, name: n };
  if (typeof v === 'string' && !numeric) return { value: v, name: n };
  throw refused();
}
