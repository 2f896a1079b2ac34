import { describe, expect, it } from 'vitest';
import { expectedRevision } from '../../functions/http/if-match';
import { bodyByteLength } from '../../functions/http/request-body';
import { decodeCursor, encodeCursor } from '../../functions/registry/list-cursor';

describe('expectedRevision (If-Match)', () => {
  it('is any revision when absent or *', () => {
    expect(expectedRevision(undefined)).toBe('any');
    expect(expectedRevision(' * ')).toBe('any');
  });

  it('reads one or several strong ETags', () => {
    expect(expectedRevision('"3"')).toEqual([3]);
    expect(expectedRevision('"3", "7"')).toEqual([3, 7]);
  });

  it('matches nothing for weak or foreign tags', () => {
    expect(expectedRevision('W/"3"')).toEqual([]);
    expect(expectedRevision('"abc"')).toEqual([]);
    expect(expectedRevision('3')).toEqual([]);
  });
});

describe('bodyByteLength', () => {
  it.each([0, 1, 2, 3, 4, 5, 1000, 1001])('computes the decoded size of %i base64-encoded bytes', (size) => {
    const bytes = Buffer.alloc(size, 7);
    expect(bodyByteLength({ body: bytes.toString('base64'), isBase64Encoded: true })).toBe(size);
  });

  it('counts UTF-8 bytes of text bodies', () => {
    expect(bodyByteLength({ body: 'é', isBase64Encoded: false })).toBe(2);
  });
});

describe('list cursors', () => {
  it('round-trip', () => {
    const key = '2026-01-01T00:00:00.000Z#mnist';
    expect(decodeCursor(encodeCursor(key))).toBe(key);
  });

  it.each(['', 'garbage!', Buffer.from('{"x":1}').toString('base64url'), Buffer.from('[]').toString('base64url')])('rejects %j', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(/not one MLHub issued/);
  });
});
