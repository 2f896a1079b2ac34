import { invalid } from '../errors/app-error';
import { DYNAMODB_LIMITS } from '../store/storable-values';

/**
 * Listing cursors are opaque to clients: the sort key of the last row served, in base64url.
 * Each index is queried again strictly below it, so concurrent inserts never shift a page.
 */
export function encodeCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ before: sortKey }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const before = (parsed as { before?: unknown })?.before;
    if (typeof before === 'string' && before.length > 0) return before;
  } catch {
    // Reported below with the same message as any other malformed cursor.
  }
  throw invalid('invalid_cursor', 'The cursor is not one MLHub issued; pass back the cursor from the previous page unchanged');
}

/** The sort key a listing continues below, or undefined for the first page; a key longer than DynamoDB compares was forged (400 invalid_cursor). */
export function listingStart(cursor: string | undefined): string | undefined {
  const before = cursor === undefined ? undefined : decodeCursor(cursor);
  if (before !== undefined && Buffer.byteLength(before, 'utf8') > DYNAMODB_LIMITS.sortKeyBytes) {
    throw invalid('invalid_cursor', 'The cursor is not one MLHub issued; pass back the cursor from the previous page unchanged');
  }
  return before;
}
