import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoUsageCounters } from '../../functions/usage/dynamo-usage-counters';
import { LOCAL_REGION, LOCAL_TABLE } from '../../local/local-resources';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { runCli } from '../support/run-cli';

/*
 * GET /models's search parameters as the running service reads them, the plain listing they
 * leave alone, and the usage counters the download and predict routes keep. None of this needs
 * the search index (test/integration/search-results.test.ts does).
 */

let mlhub: RunningMlhub;
let olive: string;
let client: DynamoDBDocumentClient;
let counters: DynamoUsageCounters;
let bundle: Buffer;
let digit: Buffer;
const api = (method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}) =>
  call(mlhub.url, method, path, { ...init, headers: { authorization: olive, ...init.headers } });

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  olive = `Bearer ${await (await openLocalIssuer(mlhub.dataDir)).sign('olive')}`;
  client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: mlhub.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS }));
  counters = new DynamoUsageCounters(client, LOCAL_TABLE);
  bundle = await readFile(new URL('../../models/demo/mnist.tar.gz', import.meta.url));
  digit = await readFile(new URL('../../models/demo/images/img3.json', import.meta.url));
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('GET /models search parameters', () => {
  it.each([
    ['q=', 'invalid_q', /^Query parameter 'q' must not be empty/],
    ['framework=caffe', 'invalid_framework', /^Query parameter 'framework' must be a model type: one of TensorFlow, PyTorch, Keras, ScikitLearn, XGBoost, ONNX .*, got 'caffe'$/],
    ['library=caffe', 'invalid_library', /^Query parameter 'library' must be a model type/],
    ['q=x&search=y', 'invalid_search', /^Query parameters 'q' and 'search' are aliases and differ \('x', 'y'\); give one$/],
    ['framework=onnx&library=xgboost', 'invalid_library', /^Query parameters 'framework' and 'library' are aliases and differ \('ONNX', 'XGBoost'\)/],
    ['task=a&pipeline_tag=b', 'invalid_pipeline_tag', /aliases and differ/],
    ['q=a%FFb', 'invalid_q', /^Query parameter 'q' holds percent-escapes that are not UTF-8 \('q=a%FFb'\)/],
    ['search=%ED%A0%80', 'invalid_search', /^Query parameter 'search' holds percent-escapes that are not UTF-8/],
    ['author=Ada%C3&owner=olive', 'invalid_author', /^Query parameter 'author' holds percent-escapes that are not UTF-8/],
    ['keyword=%C0%AF', 'invalid_keyword', /not UTF-8/],
    ['limit=%FF', 'invalid_limit', /not UTF-8/],
    ['type=onnx&framework=keras', 'invalid_framework', /^Query parameters 'type' and 'framework' are aliases and differ \('ONNX', 'Keras'\); give one$/],
    ['keyword=a&tag=b', 'invalid_tag', /aliases and differ/],
    ['published=maybe', 'invalid_published', /^Query parameter 'published' must be true or false, got 'maybe'$/],
    ['has_doi=1', 'invalid_has_doi', /must be true or false, got '1'$/],
    ['updated_since=2026-02-30', 'invalid_updated_since', /must be an ISO 8601 date .*, got '2026-02-30'$/],
    ['sort=stars', 'invalid_sort', /^Query parameter 'sort' must be one of 'relevance', .*, got 'stars'$/],
    ['sort=relevance', 'invalid_sort', /which ranks by q/],
    ['sort=name&sort=updated', 'repeated_query_parameter', /^Query parameter 'sort' is given more than once; give each once$/],
    ['keyword=a&keyword=a', 'repeated_query_parameter', /'keyword' is given more than once/],
    ['direction=sideways', 'invalid_direction', /got 'sideways'$/],
    ['license=not%20spdx', 'invalid_license', /must be an SPDX license id/],
    ['q=x&limit=500', 'invalid_limit', /from 1 to 100, got '500'$/],
    ['q=x&filter=y', 'unknown_query_parameter', /^Unknown query parameter 'filter' for GET \/models; it accepts 'limit', 'cursor', 'mine', 'q', 'search', /],
  ])('?%s is a 400 %s naming the field', async (query, code, message) => {
    expectError(await api('GET', `/models?${query}`), 400, code, message);
  });

  it('without search parameters, the plain listing answers as before: an array, Link rel=next and x-next-cursor', async () => {
    for (const name of ['plain-a', 'plain-b']) expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
    const first = await api('GET', '/models?limit=1&mine=1');
    expect(first.status).toBe(200);
    expect(Array.isArray(first.body)).toBe(true);
    expect((first.body as { model: string }[]).map((model) => model.model)).toEqual(['plain-b']);
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    expect(first.headers.get('link')).toBe(`<${mlhub.url}/models?limit=1&mine=1&cursor=${encodeURIComponent(cursor ?? '')}>; rel="next"`);
    const second = await api('GET', `/models?limit=1&mine=1&cursor=${encodeURIComponent(cursor ?? '')}`);
    expect((second.body as { model: string }[]).map((model) => model.model)).toEqual(['plain-a']);
  });

  it('invalid UTF-8 in any route\'s query parameter is a 400 naming it, before the model is looked up; UTF-8 and a lone % are read as sent', async () => {
    expectError(await api('GET', '/model/no-such-model/download?version=1%FF'), 400, 'invalid_version', /^Query parameter 'version' holds percent-escapes that are not UTF-8/);
    expectError(await api('GET', '/model/no-such-model/cite?style=apa%E2%82'), 400, 'invalid_style', /not UTF-8/);
    expectError(await api('DELETE', '/model/no-such-model?reason=%FE%FF'), 400, 'invalid_reason', /not UTF-8/);
    expectError(await api('GET', '/models?mine=1&cursor=%80'), 400, 'invalid_cursor', /^Query parameter 'cursor' holds percent-escapes that are not UTF-8/);
    const unicode = await api('GET', '/models?q=caf%C3%A9%20%F0%9F%A7%AC');
    expect(unicode.status, JSON.stringify(unicode.body)).toBe(200);
    expect((await api('GET', '/models?q=50%')).status).toBe(200);
    expect((await api('GET', '/models?q=50%25+off')).status).toBe(200);
  });

  it('anonymous mine is a 401, search or not', async () => {
    expectError(await call(mlhub.url, 'GET', '/models?mine=1'), 401, 'authentication_required');
    expectError(await call(mlhub.url, 'GET', '/models?mine=1&q=digit'), 401, 'authentication_required');
  });
});

describe('mlhub search', () => {
  it("passes MLHub's refusal of a search on, naming the parameter", async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'mlhub-search-cli-'));
    try {
      const env = { MLHUB_CONFIG: join(scratch, 'config.json'), MLHUB_URL: '', MLHUB_TOKEN: '' };
      expect((await runCli(['login', '--local', '--user', 'olive', '--data-dir', mlhub.dataDir, '--url', mlhub.url], env)).code).toBe(0);
      const refused = await runCli(['search', 'digit', '--sort', 'stars'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/Query parameter 'sort' must be one of 'relevance', .*, got 'stars'/);
      expect((await runCli(['search', '--framework', 'caffe', '--json'], env)).stderr).toMatch(/Query parameter 'framework' must be a model type/);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('usage counters', () => {
  it('each download served counts one (its bytes, its JSON link), a HEAD or a 404 none; each successful prediction one, a failed one none', async () => {
    const name = 'counted';
    expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
    expect((await api('POST', `/model/${name}/upload`, { body: bundle, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    expect(await counters.read(name)).toEqual({ downloads: 0, predictions: 0 });

    const bytes = await fetch(`${mlhub.url}/model/${name}/download`, { headers: { authorization: olive } });
    expect(bytes.status).toBe(200);
    await bytes.arrayBuffer();
    expect((await api('GET', `/model/${name}/download?redirect=false`)).status).toBe(200);
    expect((await fetch(`${mlhub.url}/model/${name}/download`, { method: 'HEAD', headers: { authorization: olive } })).status).toBe(200);
    expect((await api('GET', `/model/${name}/download?version=9`)).status).toBe(404);
    expect(await counters.read(name)).toEqual({ downloads: 2, predictions: 0 });

    expect((await api('POST', `/model/${name}/predict`, { body: digit, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    const refused = await api('POST', `/model/${name}/predict`, json({ inputs: [{ name: 'nope', shape: [1], datatype: 'FP32', data: [1] }] }));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await counters.read(name)).toEqual({ downloads: 2, predictions: 1 });

    expect((await api('DELETE', `/model/${name}`)).status).toBe(200);
    expect(await counters.read(name)).toEqual({ downloads: 0, predictions: 0 });
  }, 60_000);
});
