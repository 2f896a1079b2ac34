import { describe, expect, it } from 'vitest';
import { expectedRevision, MAX_IF_MATCH_TAGS } from '../../functions/http/if-match';
import { listModels } from '../../functions/contracts/model-contracts';
import { parseRequestPart } from '../../functions/contracts/request-errors';
import { bodyByteLength, isJsonMediaType, mediaType, parseMediaType } from '../../functions/http/request-body';
import { decodeCursor, encodeCursor } from '../../functions/registry/list-cursor';

describe('expectedRevision (If-Match, RFC 9110 §13.1.1)', () => {
  it('is any revision when absent or *', () => {
    expect(expectedRevision(undefined)).toBe('any');
    expect(expectedRevision(' * ')).toBe('any');
  });

  it('reads one or several strong ETags, with optional whitespace and empty list elements', () => {
    expect(expectedRevision('"3"')).toEqual([3]);
    expect(expectedRevision('"3", "7"')).toEqual([3, 7]);
    expect(expectedRevision('"3",\t"7" ,, "3"')).toEqual([3, 7]);
  });

  it('matches nothing (so 412) for weak tags or tags MLHub never issues', () => {
    expect(expectedRevision('W/"3"')).toEqual([]);
    expect(expectedRevision('"abc"')).toEqual([]);
    expect(expectedRevision('"0"')).toEqual([]);
    expect(expectedRevision('""')).toEqual([]);
    expect(expectedRevision('"99999999999999999999"')).toEqual([]);
    expect(expectedRevision('W/"1", "abc", "2"')).toEqual([2]);
  });

  it.each([
    ['a bare number', '1'],
    ['an unquoted word', 'abc'],
    ['an unterminated tag', '"1'],
    ['* inside a list', '*, "1"'],
    ['a tag followed by junk', '"1" x'],
    ['a lower-case weak prefix', 'w/"1"'],
    ['only commas', ' , ,'],
    ['a quote inside the tag', '"a"b"'],
  ])('answers 400 for %s', (_label, header) => {
    expect(() => expectedRevision(header)).toThrow(expect.objectContaining({ kind: 'invalid', code: 'invalid_if_match' }));
  });

  it(`refuses more than ${MAX_IF_MATCH_TAGS} tags, and takes exactly that many`, () => {
    const tags = (count: number) => Array.from({ length: count }, (_, i) => `"${i + 1}"`).join(', ');
    expect(expectedRevision(tags(MAX_IF_MATCH_TAGS))).toHaveLength(MAX_IF_MATCH_TAGS);
    expect(() => expectedRevision(tags(MAX_IF_MATCH_TAGS + 1))).toThrow(/more than 50/);
  });
});

describe('parseMediaType (RFC 9110 §8.3.1)', () => {
  it.each([
    ['application/json', 'application/json', {}],
    ['Application/JSON', 'application/json', {}],
    ['application/json ; charset=utf-8', 'application/json', { charset: 'utf-8' }],
    ['application/json;CHARSET="UTF-8"', 'application/json', { charset: 'UTF-8' }],
    ['\tapplication/json\t;\tcharset=utf-8 ', 'application/json', { charset: 'utf-8' }],
    ['multipart/form-data; boundary="a;b"', 'multipart/form-data', { boundary: 'a;b' }],
    ['text/plain;;', 'text/plain', {}],
    [undefined, '', {}],
  ])('reads %j', (header, type, parameters) => {
    expect(parseMediaType(header)).toEqual({ type, parameters });
    expect(mediaType(header)).toBe(type);
  });

  it('knows JSON types', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    expect(isJsonMediaType('text/json')).toBe(false);
    expect(isJsonMediaType('application/jsonx')).toBe(false);
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

describe('a yes/no query parameter (?mine=…)', () => {
  const flag = (raw: string | undefined) => {
    const query = raw === undefined ? {} : { mine: raw };
    return parseRequestPart('query', listModels.query, query, query).mine ?? false;
  };

  it.each([
    [undefined, false], ['', true], ['1', true], ['yes', true], ['TRUE', true], ['0', false], ['no', false], ['False', false],
    // Repeats arrive joined by commas (API Gateway); agreeing ones are one answer.
    ['1,1', true], ['1,yes', true], ['0,no', false], ['1,', true],
  ])('reads %j as %s', (raw, expected) => {
    expect(flag(raw)).toBe(expected);
  });

  it('refuses a value it does not know, naming the field and every accepted value', () => {
    expect(() => flag('maybe')).toThrow(expect.objectContaining({ code: 'invalid_mine', message: expect.stringMatching(/^Query parameter 'mine' must be 1, true or yes \(or bare\) for yes, or 0, false or no for no, got 'maybe'$/) }));
    expect(() => flag('1,maybe')).toThrow(expect.objectContaining({ code: 'invalid_mine' }));
  });

  it('refuses repeats that disagree rather than letting one win', () => {
    expect(() => flag('1,0')).toThrow(expect.objectContaining({ code: 'invalid_mine', message: expect.stringMatching(/'mine' is given more than once, both yes and no/) }));
  });
});
