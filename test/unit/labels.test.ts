/**
 * Short labels a person reads back later (token names, the users grants name, bundle file names)
 * refuse control, format and line-separator characters, through one shared check.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { accessDocument } from '../../functions/contracts/access-contracts';
import { label, READABLE_TEXT } from '../../functions/contracts/labels';
import { parseRequestPart } from '../../functions/contracts/request-errors';
import { tokenRequest } from '../../functions/contracts/token-contracts';
import { BUNDLE_FILENAME, plainFilename } from '../../functions/versions/bundle-filename';

/** One of each kind: C0 and C1 controls, newline, bidi override, zero-width and BOM (format), line and paragraph separators. */
const UNREADABLE = ['\u0000', '\u001b', '\n', '\u0085', '\u202e', '\u200b', '\ufeff', '\u2028', '\u2029'];
const READABLE = ['ci', "Ada's laptop", 'ñandú (build 2)', 'ключ', '東京 token', 'orcid|0000-0002-1825-0097', 'a\u00a0b'];

describe('label(max)', () => {
  const schema = label(40);

  it('takes readable text in any script, trimmed', () => {
    for (const text of READABLE) expect(z.parse(schema, ` ${text} `)).toBe(text);
  });

  it.each(UNREADABLE.map((character) => [JSON.stringify(character), character]))('refuses %s inside a label', (_shown, character) => {
    expect(schema.safeParse(`a${character}b`).success).toBe(false);
    expect(READABLE_TEXT.test(`a${character}b`)).toBe(false);
  });

  it.each(UNREADABLE.map((character) => [JSON.stringify(character), character]))('refuses %s at either end, rather than trimming it away', (_shown, character) => {
    expect(schema.safeParse(`${character}bob`).success).toBe(false);
    expect(schema.safeParse(`bob${character}`).success).toBe(false);
  });

  it('refuses a vertical tab or form feed at the end of a grant\'s user, which a trim would drop and give the grant to another id', () => {
    expect(() => parseRequestPart('body', accessDocument, { grants: [{ user: '\u2029bob\u000b', role: 'write' }] })).toThrow(/must not contain control/);
    expect(() => parseRequestPart('body', tokenRequest, { name: 'a\u2028' })).toThrow(/must not contain control/);
  });

  it('keeps its length and emptiness checks', () => {
    expect(schema.safeParse('').success).toBe(false);
    expect(schema.safeParse('   ').success).toBe(false);
    expect(schema.safeParse('x'.repeat(41)).success).toBe(false);
  });
});

describe('the labels of the request contracts', () => {
  it('a token name (POST /tokens)', () => {
    expect(parseRequestPart('body', tokenRequest, { name: 'laptop' }).name).toBe('laptop');
    for (const character of UNREADABLE) {
      expect(() => parseRequestPart('body', tokenRequest, { name: `a${character}b` })).toThrow('Invalid request body: name must not contain control, format or line-separator characters');
    }
  });

  it("a grant's user (PUT /model/{name}/access)", () => {
    expect(parseRequestPart('body', accessDocument, { grants: [{ user: 'orcid|0000-0002-1825-0097', role: 'read' }] }).grants?.[0]?.user).toBe('orcid|0000-0002-1825-0097');
    for (const character of UNREADABLE) {
      expect(() => parseRequestPart('body', accessDocument, { grants: [{ user: `b${character}ob`, role: 'read' }] })).toThrow(/grants\.0\.user must not contain control, format or line-separator characters/);
    }
  });

  it("a bundle's file name holds to the same characters (POST /model/{name}/uploads, multipart uploads)", () => {
    expect(BUNDLE_FILENAME.source).toContain(READABLE_TEXT.source.slice(2, -3));
    for (const character of UNREADABLE) expect(plainFilename(`model${character}.tar.gz`)).toBeUndefined();
    expect(plainFilename('model-v1.tar.gz')).toBe('model-v1.tar.gz');
  });
});
