import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IF_MATCH_TAGS } from '../../functions/http/if-match';
import { JSON_BODY_LIMIT, ROUTES } from '../../functions/routes/route-table';
import { DYNAMODB_LIMITS } from '../../functions/store/storable-values';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { makeTarGz, sampleEntries } from '../support/tarballs';

/*
 * Issue 9, section 5, the HTTP input half: valid input never gets a 500, and invalid input never
 * a silent wrong answer. Every example goes over HTTP to `npm start`'s runtime (auth required,
 * so anonymous callers are really anonymous).
 */

let mlhub: RunningMlhub;
let owner: string;
let counter = 0;
const unique = (prefix: string) => `${prefix}-${(counter += 1)}`;

type Init = { body?: RequestInit['body']; headers?: Record<string, string> };
const as = (credentials: string | undefined) => (method: string, path: string, init: Init = {}) =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(credentials ? { authorization: credentials } : {}) } });
const api = (method: string, path: string, init: Init = {}) => as(owner)(method, path, init);
const anonymous = (method: string, path: string, init: Init = {}) => as(undefined)(method, path, init);
const raw = (text: string | Buffer, contentType = 'application/json') => ({ body: text, headers: { 'content-type': contentType } });

async function createModel(name = unique('in'), body: Record<string, unknown> = {}): Promise<string> {
  const reply = await api('POST', `/model/${name}`, json({ type: 'onnx', ...body }));
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return name;
}

/** The record as stored, to show a refused request changed nothing. */
const record = async (name: string) => (await api('GET', `/model/${name}`)).body as Record<string, unknown>;

interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyBytes: number;
}

/** A request over node:http, counting the body bytes that really arrive (fetch hides them for HEAD). */
function rawRequest(method: string, path: string, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, mlhub.url);
    const request = httpRequest({ host: url.hostname, port: url.port, path, method, headers }, (response) => {
      let bodyBytes = 0;
      response.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bodyBytes }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  owner = `Bearer ${await issuer.sign('olive')}`;
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('values DynamoDB cannot hold get a 400 naming the field, before any write', () => {
  const refusedMeta: [string, string, string, RegExp][] = [
    ['2^53 + 1', '{"n": 9007199254740993}', 'invalid_number', /meta\.n.*2\^53/],
    ['2^53 written as a float', '{"n": 9007199254740992.0}', 'invalid_number', /meta\.n/],
    ['a number beyond 38 significant digits', `{"n": 0.${'1'.repeat(40)}}`, 'invalid_number', /meta\.n.*significant digits/],
    ['a number past every double', '{"n": 1e400}', 'invalid_number', /meta\.n/],
    ['a number under DynamoDB\'s smallest', '{"n": 1e-200}', 'invalid_number', /meta\.n.*1e-130/],
    ['nesting deeper than 32 levels', `{"deep": ${'['.repeat(DYNAMODB_LIMITS.nestingLevels)}1${']'.repeat(DYNAMODB_LIMITS.nestingLevels)}}`, 'nested_too_deep', /meta\.deep(\[0\])+.*32 levels/],
    ['an empty key', '{"": 1}', 'invalid_key', /meta has an empty key/],
    ['a lone surrogate', '{"s": "\\ud800"}', 'invalid_text', /meta\.s/],
    ['a lone surrogate in a key', '{"\\udc00": 1}', 'invalid_text', /meta/],
  ];

  it.each(refusedMeta)('create refuses %s in meta, and creates nothing', async (_label, meta, code, message) => {
    const name = unique('dyn');
    expectError(await api('POST', `/model/${name}`, raw(`{"type": "onnx", "meta": ${meta}}`)), 400, code, message);
    expectError(await api('GET', `/model/${name}`), 404, 'model_not_found');
  });

  it.each(refusedMeta)('update refuses %s in meta, and changes nothing', async (_label, meta, code, message) => {
    const name = await createModel();
    const before = await record(name);
    expectError(await api('PUT', `/model/${name}`, raw(`{"meta": ${meta}}`)), 400, code, message);
    expect(await record(name)).toEqual(before);
  });

  it('stores exactly what it accepts at each limit: 2^53 − 1, 17 digits that round-trip, 1e-130, 32 levels, a 64 KB key, a full body', async () => {
    const deep = `${'['.repeat(DYNAMODB_LIMITS.nestingLevels - 1)}"bottom"${']'.repeat(DYNAMODB_LIMITS.nestingLevels - 1)}`;
    const meta = `{"max": 9007199254740991, "min": -9007199254740991, "sum": 0.30000000000000004, "tiny": 1e-130, "deep": ${deep}, "emoji": "\\ud83d\\ude00"}`;
    const name = unique('limits');
    expect((await api('POST', `/model/${name}`, raw(`{"type": "onnx", "meta": ${meta}}`))).status).toBe(201);
    expect((await record(name)).meta).toEqual(JSON.parse(meta));
    const longKey = 'k'.repeat(60 * 1024);
    expect((await api('PUT', `/model/${name}`, json({ meta: { [longKey]: 1 } }))).status).toBe(200);
    expect(Object.keys((await record(name)).meta as object)).toEqual([longKey]);
    const filler = 'x'.repeat(JSON_BODY_LIMIT - 100);
    const full = await api('PUT', `/model/${name}`, json({ meta: { filler } }));
    expect(full.status, JSON.stringify(full.body)).toBe(200);
    expect(((await record(name)).meta as { filler: string }).filler).toHaveLength(filler.length);
  });

  it('the same reader guards every other JSON route: access, tokens, uploads', async () => {
    const name = await createModel();
    expectError(await api('PUT', `/model/${name}/access`, raw('{"visibility": "private", "grants": [{"user": "\\ud800", "role": "read"}]}')), 400, 'invalid_text', /grants\[0\]\.user/);
    expectError(await api('PUT', `/model/${name}/access`, json({ grants: [{ user: 'u'.repeat(2048), role: 'read' }] })), 400, 'invalid_body', /grants\.0\.user/);
    expectError(await api('POST', '/tokens', raw('{"name": "t", "expires_in_days": 1e400}')), 400, 'invalid_number', /expires_in_days/);
    expectError(await api('POST', `/model/${name}/uploads`, raw('{"size": 123456789012345678901234567890}')), 400, 'invalid_number', /size/);
    expect((await api('GET', '/tokens')).body).toEqual([]);
  });

  it('ids and cursors too long for a key get a 400, not a DynamoDB error', async () => {
    const name = await createModel();
    expectError(await api('DELETE', `/tokens/${'a'.repeat(2048)}`), 400, 'invalid_id');
    expectError(await api('DELETE', '/tokens/not-a-token-id'), 400, 'invalid_token_id');
    expectError(await api('GET', `/model/${name}/uploads/${'u'.repeat(2048)}`), 400, 'invalid_id');
    const forged = Buffer.from(JSON.stringify({ before: 'z'.repeat(2000) })).toString('base64url');
    expectError(await api('GET', `/models?cursor=${forged}`), 400, 'invalid_cursor');
  });
});

describe('If-Match follows RFC 9110 §13.1.1', () => {
  const tags = (count: number) => Array.from({ length: count }, (_, i) => `"${i + 1}"`).join(', ');
  const cases: [string, string, number, string][] = [
    ['a weak tag of the current revision', 'W/"1"', 412, 'revision_mismatch'],
    ['a strong tag MLHub never issues', '"abc"', 412, 'revision_mismatch'],
    ['a stale revision', '"7"', 412, 'revision_mismatch'],
    ['a bare number', '1', 400, 'invalid_if_match'],
    ['an unterminated tag', '"1', 400, 'invalid_if_match'],
    ['* inside a list', '*, "1"', 400, 'invalid_if_match'],
    [`more than ${MAX_IF_MATCH_TAGS} tags`, tags(MAX_IF_MATCH_TAGS + 10), 400, 'invalid_if_match'],
  ];

  it.each(cases)('%s (If-Match: %s) answers %i and changes nothing', async (_label, ifMatch, status, code) => {
    const name = await createModel();
    const before = await record(name);
    expectError(await api('PUT', `/model/${name}`, { body: JSON.stringify({ description: 'changed' }), headers: { 'content-type': 'application/json', 'if-match': ifMatch } }), status, code);
    expect(await record(name)).toEqual(before);
  });

  it.each([
    ['*', '*'],
    ['the current tag in a long list', tags(MAX_IF_MATCH_TAGS)],
    ['the current tag beside a weak one', 'W/"1", "1"'],
  ])('%s applies the update', async (_label, ifMatch) => {
    const name = await createModel();
    const reply = await api('PUT', `/model/${name}`, { body: JSON.stringify({ description: 'changed' }), headers: { 'content-type': 'application/json', 'if-match': ifMatch } });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.headers.get('etag')).toBe('"2"');
  });
  it.each(cases)('DELETE with %s (If-Match: %s) answers %i and deletes nothing', async (_label, ifMatch, status, code) => {
    const name = await createModel();
    const before = await record(name);
    expectError(await api('DELETE', `/model/${name}`, { headers: { 'if-match': ifMatch } }), status, code);
    expect(await record(name)).toEqual(before);
  });

  it('of two DELETEs racing on the same tag, one deletes and the other is refused', async () => {
    for (let round = 0; round < 4; round += 1) {
      const name = await createModel();
      const replies = await Promise.all([0, 1].map(() => api('DELETE', `/model/${name}`, { headers: { 'if-match': '"1"' } })));
      const statuses = replies.map((reply) => reply.status).sort();
      // The other learns that the model changed (412), or, once the delete has ended, that it is gone (404).
      expect(statuses[0]).toBe(200);
      expect([404, 412]).toContain(statuses[1]);
    }
  });

  it.each([['*', '*'], ['the current tag', '"1"']])('DELETE with %s deletes', async (_label, ifMatch) => {
    const name = await createModel();
    expect((await api('DELETE', `/model/${name}`, { headers: { 'if-match': ifMatch } })).status).toBe(200);
    expect((await api('GET', `/model/${name}`)).status).toBe(404);
  });
});

describe('content types are matched case-insensitively, with whitespace around parameters', () => {
  const types = ['Application/JSON', 'application/json ; charset=utf-8', 'APPLICATION/JSON;\tCharset="UTF-8"'];

  it.each(types)('%j works on every JSON route', async (type) => {
    const name = unique('ct');
    expect((await api('POST', `/model/${name}`, raw('{"type": "onnx"}', type))).status).toBe(201);
    expect((await api('PUT', `/model/${name}`, raw('{"description": "d"}', type))).status).toBe(200);
    expect((await api('PUT', `/model/${name}/access`, raw('{"visibility": "private"}', type))).status).toBe(200);
    expect((await api('POST', `/model/${name}/uploads`, raw('{"size": 100}', type))).status).toBe(201);
    expect((await api('POST', '/tokens', raw('{"name": "ct"}', type))).status).toBe(201);
    // The body is read (no 415): the version it names is pending, which no deploy takes.
    expectError(await api('POST', `/model/${name}/versions/1/deploy`, raw('{"memory_mb": 2048}', type)), 409, 'version_not_ready');
    expect((await api('POST', '/datasets', raw('{"filename": "rows.csv", "size": 100}', type))).status).toBe(201);
    // Read too: the model has no version to run yet.
    expectError(await api('POST', `/model/${name}/jobs`, raw('{"dataset": "ds_000000000000000000000000"}', type)), 409, 'no_ready_bundle');
    const jsonRoutes = ROUTES.filter((route) => route.body === 'json').map((route) => route.id).sort();
    expect(jsonRoutes).toEqual(['createDataset', 'createJob', 'createModel', 'createToken', 'createUpload', 'deployVersion', 'putAccess', 'updateModel']);
  });

  it('a charset other than UTF-8 or a type that is not JSON answers 415', async () => {
    const name = unique('ct');
    expectError(await api('POST', `/model/${name}`, raw('{"type": "onnx"}', 'application/json; charset=iso-8859-1')), 415, 'unsupported_media_type', /UTF-8/);
    expectError(await api('POST', `/model/${name}`, raw('{"type": "onnx"}', 'text/json')), 415, 'unsupported_media_type');
  });

  it('a multipart upload is read whatever the case of its type', async () => {
    const name = await createModel();
    const form = new FormData();
    form.append('file', new Blob([await makeTarGz(sampleEntries())]), 'bundle.tar.gz');
    const request = new Request('http://x', { method: 'POST', body: form });
    const boundary = /boundary=(.+)$/.exec(request.headers.get('content-type') ?? '')?.[1] ?? '';
    const reply = await api('POST', `/model/${name}/upload`, { body: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': `Multipart/Form-Data ; boundary="${boundary}"` } });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  });
});

describe('a JSON body that is not UTF-8 gets a 400', () => {
  const latin1 = (text: string) => Buffer.from(text, 'latin1');

  it('on create, update, access and tokens, and nothing is stored', async () => {
    const name = unique('utf');
    expectError(await api('POST', `/model/${name}`, raw(latin1('{"type": "onnx", "description": "café"}'))), 400, 'invalid_encoding');
    expectError(await api('GET', `/model/${name}`), 404, 'model_not_found');
    await createModel(name);
    const before = await record(name);
    expectError(await api('PUT', `/model/${name}`, raw(latin1('{"description": "café"}'))), 400, 'invalid_encoding');
    expectError(await api('PUT', `/model/${name}/access`, raw(Buffer.from([0x7b, 0xff, 0x7d]))), 400, 'invalid_encoding');
    expectError(await api('POST', '/tokens', raw(latin1('{"name": "café"}'))), 400, 'invalid_encoding');
    expect(await record(name)).toEqual(before);
    expect((await api('PUT', `/model/${name}`, raw(Buffer.from('{"description": "café"}', 'utf8')))).status).toBe(200);
    expect((await record(name)).description).toBe('café');
  });
});

describe('HEAD works on every GET route', () => {
  let model: string;
  let uploadId: string;

  beforeAll(async () => {
    model = await createModel(unique('head'));
    const upload = await api('POST', `/model/${model}/upload`, { body: await makeTarGz(sampleEntries()), headers: { 'content-type': 'application/octet-stream' } });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    const session = await api('POST', `/model/${model}/uploads`, json({ size: 100 }));
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    uploadId = (session.body as { upload_id: string }).upload_id;
  });

  const concrete = (path: string) => path.replace('{name}', model).replace('{id}', uploadId).replace('{version}', '1');
  const compared = (headers: RawReply['headers']) => {
    const { date: _date, 'x-request-id': _id, 'apigw-requestid': _gw, connection: _c, 'keep-alive': _k, ...rest } = headers;
    return rest;
  };

  it.each(ROUTES.filter((route) => route.method === 'GET').map((route) => [route.id, route.path] as const))('%s: same status and headers as GET, Content-Length included, no body', async (_id, path) => {
    const url = concrete(path);
    const get = await rawRequest('GET', url, { authorization: owner });
    const head = await rawRequest('HEAD', url, { authorization: owner });
    expect(head.status).toBe(get.status);
    expect(head.bodyBytes).toBe(0);
    expect(head.headers['content-length']).toBe(String(get.bodyBytes));
    const getHeaders = compared(get.headers);
    const headHeaders = compared(head.headers);
    // Time-stamped bodies (status) may differ in length by a digit; everything else must match.
    if (path === '/status') {
      delete getHeaders['content-length'];
      delete headHeaders['content-length'];
    }
    expect(headHeaders).toEqual(getHeaders);
  });

  it('a download answers HEAD with Content-Length, ETag and Accept-Ranges', async () => {
    const head = await rawRequest('HEAD', `/model/${model}/download`, { authorization: owner });
    expect(head.status).toBe(200);
    expect(head.bodyBytes).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect(head.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(head.headers['accept-ranges']).toBe('none');
  });

  it('HEAD on a path that only has other methods is a 405 that lists HEAD where GET is', async () => {
    const head = await rawRequest('HEAD', `/model/${model}/upload`, { authorization: owner });
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe('POST');
    const patch = await api('PATCH', `/model/${model}/download`);
    expect(patch.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('a query parameter given twice gets a 400 naming it', () => {
  it('on every kind of route, instead of the repeats joined with commas and refused as a value nobody sent', async () => {
    const name = await createModel();
    expectError(await api('GET', `/model/${name}/cite?format=ris&format=bibtex`), 400, 'repeated_query_parameter', /'format' is given more than once/);
    expectError(await api('GET', `/model/${name}/download?version=1&version=1`), 400, 'repeated_query_parameter', /'version'/);
    expectError(await api('GET', '/models?limit=1&cursor=a&limit=2&cursor=b'), 400, 'repeated_query_parameter', /'limit', 'cursor' are given more than once/);
    expectError(await api('DELETE', `/model/${name}?reason=a&reason=b`), 400, 'repeated_query_parameter');
    expect((await api('GET', `/model/${name}`)).status).toBe(200);
  });
});

describe('unknown query parameters get a 400 naming them', () => {
  it('download?verison=99 does not silently return the latest', async () => {
    const name = await createModel();
    expectError(await api('GET', `/model/${name}/download?verison=99`), 400, 'unknown_query_parameter', /'verison'.*accepts 'version'/);
  });

  it('DELETE /model/{name}?version=2 points to DELETE /model/{name}/versions/2, and deletes nothing', async () => {
    const name = await createModel();
    expectError(await api('DELETE', `/model/${name}?version=2`), 400, 'unknown_query_parameter', new RegExp(`DELETE /model/${name}/versions/2`));
    expect((await api('GET', `/model/${name}`)).status).toBe(200);
  });

  it.each(ROUTES.map((route) => [route.id, route] as const))('%s refuses a parameter it does not read', async (_id, route) => {
    const name = await createModel();
    const path = route.path.replace('{name}', name).replace('{id}', 'x').replace('{version}', '1');
    const body = route.body === 'json' ? json({}) : {};
    const reply = await api(route.method, `${path}?zzz=1&${route.query[0] ?? 'yyy'}=1`, body);
    expectError(reply, 400, 'unknown_query_parameter', /'zzz'/);
  });
});

describe("the seed's habits", () => {
  it('a GET /model/{name} body sent back with PUT works: service fields ignored, null clears', async () => {
    const name = await createModel(unique('habit'), { description: 'first', reference: 'doi:10.1/x', meta: { a: 1 } });
    expect((await api('PUT', `/model/${name}/access`, json({ grants: [{ user: 'rita', role: 'read' }] }))).status).toBe(200);
    const read = await api('GET', `/model/${name}`);
    const body = read.body as Record<string, unknown>;
    expect(body.grants).toBeDefined();
    const sent = await api('PUT', `/model/${name}`, { body: JSON.stringify({ ...body, description: null, meta: { a: 2 } }), headers: { 'content-type': 'application/json', 'if-match': read.headers.get('etag') ?? '' } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body).toMatchObject({ description: null, reference: 'doi:10.1/x', meta: { a: 2 }, owner: 'olive', revision: 2 });
    expect((await api('PUT', `/model/${name}`, json({ meta: null, reference: null }))).body).toMatchObject({ meta: {}, reference: null });
    expectError(await api('PUT', `/model/${name}`, json({ type: null })), 400, 'invalid_body', /type.*cannot be cleared/);
  });

  it('a GET /model/{name}/access body sent back with PUT works', async () => {
    const name = await createModel();
    expect((await api('PUT', `/model/${name}/access`, json({ grants: [{ user: 'rita', role: 'write' }] }))).status).toBe(200);
    const read = await api('GET', `/model/${name}/access`);
    const sent = await api('PUT', `/model/${name}/access`, json(read.body));
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body).toEqual(read.body);
  });

  it('POST with visibility applies it', async () => {
    const name = await createModel(unique('pub'), { visibility: 'public' });
    expect((await anonymous('GET', `/model/${name}`)).status).toBe(200);
    expect(((await anonymous('GET', '/models')).body as { model: string }[]).map((model) => model.model)).toContain(name);
  });

  it('PUT with a different visibility answers 400 pointing to /access and changes nothing; the same one is ignored', async () => {
    const name = await createModel();
    const before = await record(name);
    expectError(await api('PUT', `/model/${name}`, json({ visibility: 'public', description: 'x' })), 400, 'visibility_not_here', new RegExp(`/model/${name}/access`));
    expect(await record(name)).toEqual(before);
    expectError(await anonymous('GET', `/model/${name}`), 404, 'model_not_found');
    expect((await api('PUT', `/model/${name}`, json({ visibility: 'private', description: 'x' }))).status).toBe(200);
  });

  it('?mine=1 from an anonymous caller answers 401', async () => {
    expectError(await anonymous('GET', '/models?mine=1'), 401, 'authentication_required', /mine/);
    expect((await anonymous('GET', '/models?mine=0')).status).toBe(200);
    expect((await api('GET', '/models?mine=1')).status).toBe(200);
  });
});

describe('JSON keys that JavaScript treats specially', () => {
  // Each document is sent and read back as text: JSON.parse keeps "__proto__" as an own key.
  const documents = [
    '{"constructor":{"name":"String"},"secret":"kept"}',
    '{"x":{"constructor":{"name":"Boolean"}},"y":{"constructor":{"name":"Number"}},"z":{"constructor":{"name":"Set"}}}',
    '{"a":{"__proto__":{"polluted":true}},"prototype":{"constructor":{}}}',
    '{"__proto__":{"admin":true},"hasOwnProperty":1,"toString":"s","valueOf":[1]}',
  ];

  it.each(documents)('stores meta %s exactly as sent, on create and on update', async (text) => {
    const name = `protokeys-${documents.indexOf(text)}`;
    const sent = JSON.parse(text) as Record<string, unknown>;
    const created = await api('POST', `/model/${name}`, { body: `{"type":"onnx","meta":${text}}`, headers: { 'content-type': 'application/json' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(JSON.stringify((created.body as { meta: unknown }).meta)).toBe(JSON.stringify(sent));
    expect(JSON.stringify(((await api('GET', `/model/${name}`)).body as { meta: unknown }).meta)).toBe(JSON.stringify(sent));
    const updated = await api('PUT', `/model/${name}`, { body: `{"meta":{"again":${text}}}`, headers: { 'content-type': 'application/json' } });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(JSON.stringify(((await api('GET', `/model/${name}`)).body as { meta: unknown }).meta)).toBe(JSON.stringify({ again: sent }));
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('a refused query parameter on a request handed on', () => {
  it('names the route the caller used: the seed form posted to /model/{name} is answered by the predict function', async () => {
    const form = new FormData();
    form.append('image', new Blob([Buffer.from('not an image')], { type: 'image/png' }), 'x.png');
    const reply = await api('POST', '/model/any-model?foo=1', { body: form });
    expectError(reply, 400, 'unknown_query_parameter', /^Unknown query parameter 'foo' for POST \/model\/\{name\}; it accepts 'version'$/);
  });
});
