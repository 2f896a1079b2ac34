import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { jsonBody, MAX_JSON_NESTING } from '../../functions/http/json-body';
import { DYNAMODB_LIMITS, requireKeyFits, STORABLE_DOCUMENT_BYTES, toStorable } from '../../functions/store/storable-values';

const storable = (text: string) => toStorable(parse(text));
const refusal = (code: string, message?: RegExp) => expect.objectContaining({ kind: 'invalid', code, ...(message ? { message: expect.stringMatching(message) } : {}) });

/** `{"meta": [[…[0]…]]}` with `levels` containers below the document. */
const nested = (levels: number) => `{"meta":${'['.repeat(levels)}0${']'.repeat(levels)}}`;

describe('toStorable: numbers are kept exactly as written, or refused naming the field', () => {
  it.each(['0', '-0', '0.1', '1.50', '1e2', '-12.5e-3', '9007199254740991', '-9007199254740991', '0.30000000000000004', '1e-130', '-1e-130'])('keeps %s', (written) => {
    expect(storable(`{"meta":{"n":${written}}}`)).toEqual({ meta: { n: Number(written) === 0 ? 0 : Number(written) } });
  });

  it.each([
    ['2^53', '9007199254740992', /meta\.n .*2\^53/],
    ['2^53 + 1', '9007199254740993', /2\^53/],
    ['a large float that is an integer', '1.5e20', /2\^53/],
    ['-(2^53)', '-9007199254740992', /2\^53/],
    ['39 significant digits', '0.123456789012345678901234567890123456789', /significant digits/],
    ['18 significant digits', '1.23456789012345678', /significant digits/],
    ['an overflow', '1e400', /too large/],
    ['an underflow to zero', '1e-400', /significant digits|smaller/],
    ['a value under DynamoDB\'s 1E-130', '1e-131', /1e-130/],
  ])('refuses %s', (_label, written, message) => {
    expect(() => storable(`{"meta":{"n":${written}}}`)).toThrow(refusal('invalid_number', message));
  });

  it('names the path of a number inside lists and odd keys', () => {
    expect(() => storable('{"meta":{"layers":[1,{"odd key":12345678901234567890}]}}')).toThrow(/meta\.layers\[1\]\["odd key"\]/);
  });
});

describe('toStorable: nesting, keys, text and size', () => {
  it(`keeps ${DYNAMODB_LIMITS.nestingLevels} levels below the document and refuses one more`, () => {
    expect(storable(nested(DYNAMODB_LIMITS.nestingLevels))).toBeTruthy();
    expect(() => storable(nested(DYNAMODB_LIMITS.nestingLevels + 1))).toThrow(refusal('nested_too_deep', /meta\[0\].*32 levels/));
  });

  it('refuses an empty key and a key of 64 KB, and keeps one just under', () => {
    expect(() => storable('{"meta":{"":1}}')).toThrow(refusal('invalid_key', /meta has an empty key/));
    expect(() => storable(`{"meta":{"${'k'.repeat(64 * 1024)}":1}}`)).toThrow(refusal('invalid_key', /64 KB/));
    expect(storable(`{"meta":{"${'k'.repeat(64 * 1024 - 1)}":1}}`)).toBeTruthy();
  });

  it('refuses lone surrogates in text and keys, and keeps pairs', () => {
    expect(() => storable('{"description":"a\\ud800b"}')).toThrow(refusal('invalid_text', /description/));
    expect(() => storable('{"meta":{"x":["\\udfff"]}}')).toThrow(refusal('invalid_text', /meta\.x\[0\]/));
    expect(() => storable('{"meta":{"\\ud83d":1}}')).toThrow(refusal('invalid_text'));
    expect(storable('{"meta":{"e":"\\ud83d\\ude00"}}')).toEqual({ meta: { e: '😀' } });
  });

  it('refuses a document over an item, counted as DynamoDB counts it', () => {
    const justUnder = `{"meta":{"s":"${'x'.repeat(STORABLE_DOCUMENT_BYTES - 20)}"}}`;
    expect(storable(justUnder)).toBeTruthy();
    expect(() => storable(`{"meta":{"s":"${'x'.repeat(STORABLE_DOCUMENT_BYTES)}"}}`)).toThrow(refusal('document_too_large'));
    // Multi-byte text counts in UTF-8 bytes: 3 per €.
    expect(() => storable(`{"meta":{"s":"${'€'.repeat(Math.ceil(STORABLE_DOCUMENT_BYTES / 3) + 1)}"}}`)).toThrow(refusal('document_too_large'));
  });

  it('keeps a "__proto__" key as data', () => {
    const value = storable('{"meta":{"__proto__":{"polluted":true}}}') as { meta: Record<string, unknown> };
    expect(Object.keys(value.meta)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value.meta)).toBe(Object.prototype);
  });
});

describe('requireKeyFits', () => {
  it('measures UTF-8 bytes after the prefix, against the sort and partition key limits', () => {
    expect(() => requireKeyFits('user', 'u'.repeat(1018), { prefix: 'GRANT#', kind: 'sort' })).not.toThrow();
    expect(() => requireKeyFits('user', 'u'.repeat(1019), { prefix: 'GRANT#', kind: 'sort' })).toThrow(refusal('invalid_user', /1018 fit/));
    expect(() => requireKeyFits('user', '€'.repeat(340), { prefix: 'GRANT#', kind: 'sort' })).toThrow(refusal('invalid_user'));
    expect(() => requireKeyFits('id', 'i'.repeat(2042), { prefix: 'TOKEN#', kind: 'partition' })).not.toThrow();
    expect(() => requireKeyFits('id', 'i'.repeat(2043), { prefix: 'TOKEN#', kind: 'partition' })).toThrow(refusal('invalid_id'));
  });
});

describe('jsonBody middleware', () => {
  const run = async (body: string | Buffer, contentType: string | undefined, options: Parameters<typeof jsonBody>[0] = { storable: true, otherTypes: 'refuse' }) => {
    const binary = Buffer.isBuffer(body);
    const event = {
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      body: binary ? body.toString('base64') : body,
      isBase64Encoded: binary,
    } as unknown as APIGatewayProxyEventV2;
    await jsonBody(options).before?.({ event } as never);
    return event.body as unknown;
  };

  it.each(['application/json', 'Application/JSON', 'application/json ; charset=utf-8', 'application/json;charset="UTF-8"', 'application/vnd.mlhub+json'])('reads %j', async (type) => {
    expect(await run('{"a":1}', type)).toEqual({ a: 1 });
  });

  it('refuses other types and charsets with 415, and an empty body with 400', async () => {
    await expect(run('{"a":1}', 'text/plain')).rejects.toMatchObject({ kind: 'unsupported_media_type' });
    await expect(run('{"a":1}', undefined)).rejects.toMatchObject({ kind: 'unsupported_media_type' });
    await expect(run('{"a":1}', 'application/json; charset=latin1')).rejects.toMatchObject({ kind: 'unsupported_media_type', message: expect.stringMatching(/UTF-8/) });
    await expect(run('', 'application/json')).rejects.toMatchObject({ code: 'missing_body' });
  });

  it('refuses bytes that are not UTF-8, instead of storing U+FFFD', async () => {
    const bad = Buffer.concat([Buffer.from('{"description":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    await expect(run(bad, 'application/json')).rejects.toMatchObject({ code: 'invalid_encoding' });
    await expect(run(Buffer.from([0xed, 0xa0, 0x80]), 'application/json')).rejects.toMatchObject({ code: 'invalid_encoding' });
    expect(await run(Buffer.from('{"description":"café"}'), 'application/json')).toEqual({ description: 'café' });
  });

  it('drops a leading byte order mark, and refuses a content coding with 415', async () => {
    expect(await run('\uFEFF{"a":1}', 'application/json')).toEqual({ a: 1 });
    expect(await run(Buffer.from('\uFEFF{"a":1}'), 'application/json')).toEqual({ a: 1 });
    const event = { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'H4sI', isBase64Encoded: true } as unknown as APIGatewayProxyEventV2;
    await expect(jsonBody({ storable: true, otherTypes: 'refuse' }).before?.({ event } as never)).rejects.toMatchObject({ kind: 'unsupported_media_type', message: expect.stringMatching(/Content-Encoding: gzip/) });
  });

  it('refuses duplicate keys and invalid JSON with 400 invalid_json', async () => {
    await expect(run('{"a":1,"a":2}', 'application/json')).rejects.toMatchObject({ code: 'invalid_json' });
    await expect(run('{"a":', 'application/json')).rejects.toMatchObject({ code: 'invalid_json' });
  });

  it('refuses a key given twice in one object on routes that store nothing too (prediction input), compared decoded, at any depth', async () => {
    const predict = { storable: false, otherTypes: 'pass' } as const;
    for (const text of [
      '{"input":[[5.1,3.5,1.4,0.2]],"input":[1]}',
      '{"input":[1],"\u0069nput":[2]}',
      '{"inputs":[{"name":"x","name":"y","data":[1]}]}',
      '{ "a" : 1 , "a"\n: 2 }',
    ]) await expect(run(text, 'application/json', predict), text).rejects.toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/appears twice in one object/) });
    // The same name in sibling objects, as a value, or inside a string is no repeat.
    expect(await run('{"inputs":[{"name":"a","data":[1]},{"name":"b","data":[2]}],"x":"\\"a\\":1,\\"a\\":2"}', 'application/json', predict))
      .toEqual({ inputs: [{ name: 'a', data: [1] }, { name: 'b', data: [2] }], x: '"a":1,"a":2' });
    expect(await run('{"a":"a","b":["a","a"]}', 'application/json', predict)).toEqual({ a: 'a', b: ['a', 'a'] });
  });

  it('refuses nesting past the parser guard before parsing, whatever the route', async () => {
    const deep = `${'['.repeat(MAX_JSON_NESTING + 1)}${']'.repeat(MAX_JSON_NESTING + 1)}`;
    await expect(run(deep, 'application/json')).rejects.toMatchObject({ code: 'nested_too_deep' });
    await expect(run(deep, 'application/json', { storable: false, otherTypes: 'pass' })).rejects.toMatchObject({ code: 'nested_too_deep' });
    // Brackets inside strings do not count.
    expect(await run(`{"s":"${'['.repeat(MAX_JSON_NESTING + 1)}"}`, 'application/json', { storable: false, otherTypes: 'pass' })).toEqual({ s: '['.repeat(MAX_JSON_NESTING + 1) });
  });

  it('leaves other media types alone when asked to (prediction input), and does not apply storage rules', async () => {
    expect(await run('PNG…', 'image/png', { storable: false, otherTypes: 'pass' })).toBe('PNG…');
    expect(await run('{"input":[1e39]}', 'application/json', { storable: false, otherTypes: 'pass' })).toEqual({ input: [1e39] });
  });
});
