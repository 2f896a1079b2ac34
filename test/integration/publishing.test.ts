import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDoiRecordStore } from '../../functions/publishing/dynamo-doi-record-store';
import { registrationProblems } from '../../functions/publishing/datacite-schema';
import { openLocalIssuer } from '../../local/local-issuer';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { LOCAL_TABLE } from '../../local/runtime';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { runCli } from '../support/run-cli';

/* Publishing a version with a DOI over HTTP on npm start, whose DOI provider is the local one. */

const BUNDLE = fileURLToPath(new URL('../../models/demo/mnist.tar.gz', import.meta.url));
let mlhub: RunningMlhub;
let dois: DynamoDoiRecordStore;
const tokens: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };

type Publication = { model: string; version: number; state: string; doi: string; doi_url: string; concept_doi: string; published: string | null; reason: string | null };
const as = (who: keyof typeof tokens | undefined, method: string, path: string, body?: unknown) =>
  call(mlhub.url, method, path, { ...(body === undefined ? {} : json(body)), headers: { ...(body === undefined ? {} : json(body).headers), ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}) } });

const FULL = {
  type: 'ONNX', description: 'Handwritten digits, a small MLP', title: 'Digits MLP', license: 'MIT',
  authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097' }], reference: 'doi:10.1234/paper.5',
};

async function modelWithVersion(owner: keyof typeof tokens, name: string, document: Record<string, unknown>): Promise<void> {
  expect((await as(owner, 'POST', `/model/${name}`, document)).status).toBe(201);
  await upload(owner, name);
}

async function upload(owner: keyof typeof tokens, name: string): Promise<void> {
  const uploaded = await call(mlhub.url, 'POST', `/model/${name}/upload`, { body: await readFile(BUNDLE), headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${tokens[owner]}` } });
  expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
}

/** Polls the version until its publication leaves `publishing`, as a client would. */
async function settled(name: string, version: number): Promise<Publication> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const read = await as('alice', 'GET', `/model/${name}/versions/${version}`);
    const publication = (read.body as { publication: Publication | null }).publication;
    if (publication && publication.state !== 'publishing') return publication;
  }
  throw new Error(`${name} v${version} is still publishing`);
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const who of ['alice', 'bob', 'carol'] as const) tokens[who] = await issuer.sign(who);
  const client = new DynamoDBClient({ endpoint: mlhub.dynamoEndpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
  dois = new DynamoDoiRecordStore(DynamoDBDocumentClient.from(client), LOCAL_TABLE);
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('POST /model/{name}/versions/{n}/publish', () => {
  it('answers 202, registers a version DOI and a concept DOI within seconds, shows both, and makes the model public', async () => {
    await modelWithVersion('alice', 'pub-digits', FULL);
    const started = await as('alice', 'POST', '/model/pub-digits/versions/1/publish');
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.headers.get('location')).toBe('/model/pub-digits/versions/1');
    expect(started.body).toMatchObject({ model: 'pub-digits', version: 1, state: 'publishing', doi: '10.5072/mlhub.pub-digits/v1', concept_doi: '10.5072/mlhub.pub-digits', doi_url: 'https://doi.org/10.5072/mlhub.pub-digits/v1' });

    const publication = await settled('pub-digits', 1);
    expect(publication).toMatchObject({ state: 'published', published: expect.any(String), reason: null });
    // Anyone may now read it, with its DOIs.
    const model = await as(undefined, 'GET', '/model/pub-digits');
    expect(model.status).toBe(200);
    expect(model.body).toMatchObject({ visibility: 'public', doi: '10.5072/mlhub.pub-digits/v1', concept_doi: '10.5072/mlhub.pub-digits' });

    const registered = await dois.get('10.5072/mlhub.pub-digits/v1');
    expect(registered).toMatchObject({ state: 'findable', attributes: { url: `${mlhub.url}/model/pub-digits/versions/1`, titles: [{ title: 'Digits MLP' }] } });
    expect(registrationProblems(registered?.attributes ?? {})).toEqual([]);
    expect((await dois.get('10.5072/mlhub.pub-digits'))?.attributes.relatedIdentifiers).toContainEqual({ relatedIdentifier: '10.5072/mlhub.pub-digits/v1', relatedIdentifierType: 'DOI', relationType: 'HasVersion' });

    // Publishing again mints nothing: the same DOI, 200.
    const again = await as('alice', 'POST', '/model/pub-digits/versions/1/publish');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'published', doi: '10.5072/mlhub.pub-digits/v1', published: publication.published });
  }, 60_000);

  it('keeps a model with a published version public: making it private answers 409', async () => {
    const refused = await as('alice', 'PUT', '/model/pub-digits/access', { visibility: 'private' });
    expectError(refused, 409, 'model_published', /pub-digits\/v1/);
    expect(((await as(undefined, 'GET', '/model/pub-digits')).body as { visibility: string }).visibility).toBe('public');
    // Grants may still change.
    expect((await as('alice', 'PUT', '/model/pub-digits/access', { grants: [{ user: 'bob', role: 'read' }] })).status).toBe(200);
  }, 60_000);

  it('keeps a published version and its model: deleting either answers 409 and removes nothing', async () => {
    expectError(await as('alice', 'DELETE', '/model/pub-digits/versions/1'), 409, 'version_published', /10\.5072\/mlhub\.pub-digits\/v1/);
    expectError(await as('alice', 'DELETE', '/model/pub-digits'), 409, 'model_published', /pub-digits\/v1/);
    expect(((await as(undefined, 'GET', '/model/pub-digits/versions/1')).body as { status: string }).status).toBe('ready');
    expect((await call(mlhub.url, 'GET', '/model/pub-digits/download?version=1&redirect=false')).status).toBe(200);
  }, 60_000);

  it('gives a second version its own DOI under the same concept DOI', async () => {
    await upload('alice', 'pub-digits');
    expect((await as('alice', 'POST', '/model/pub-digits/versions/2/publish')).status).toBe(202);
    expect(await settled('pub-digits', 2)).toMatchObject({ state: 'published', doi: '10.5072/mlhub.pub-digits/v2', concept_doi: '10.5072/mlhub.pub-digits' });
    expect((await as(undefined, 'GET', '/model/pub-digits')).body).toMatchObject({ doi: '10.5072/mlhub.pub-digits/v2', concept_doi: '10.5072/mlhub.pub-digits' });
    const concept = await dois.get('10.5072/mlhub.pub-digits');
    expect((concept?.attributes.relatedIdentifiers as { relationType: string }[]).filter((related) => related.relationType === 'HasVersion')).toHaveLength(2);
  }, 60_000);

  it('lists what a DOI lacks with 400, and publishes nothing', async () => {
    await modelWithVersion('alice', 'pub-bare', { type: 'ONNX' });
    const refused = await as('alice', 'POST', '/model/pub-bare/versions/1/publish');
    expectError(refused, 400, 'metadata_incomplete', /set title, authors \(at least one with role creator\), license, description/);
    expect(((await as('alice', 'GET', '/model/pub-bare/versions/1')).body as { publication: unknown }).publication).toBeNull();
    expect(((await as('alice', 'GET', '/model/pub-bare')).body as { visibility: string }).visibility).toBe('private');
  }, 60_000);

  it('is for the owner only: a writer gets 403, a stranger 404, anonymous 401; an unknown version 404', async () => {
    await modelWithVersion('alice', 'pub-shared', FULL);
    expect((await as('alice', 'PUT', '/model/pub-shared/access', { grants: [{ user: 'bob', role: 'write' }] })).status).toBe(200);
    expectError(await as('bob', 'POST', '/model/pub-shared/versions/1/publish'), 403, 'forbidden');
    expectError(await as('carol', 'POST', '/model/pub-shared/versions/1/publish'), 404, 'model_not_found');
    expectError(await as(undefined, 'POST', '/model/pub-shared/versions/1/publish'), 401, 'authentication_required');
    expectError(await as('alice', 'POST', '/model/pub-shared/versions/7/publish'), 404, 'version_not_found');
    expectError(await as('alice', 'POST', '/model/pub-shared/versions/0/publish'), 400, 'invalid_version');
    expect(((await as('alice', 'GET', '/model/pub-shared/versions/1')).body as { publication: unknown }).publication).toBeNull();
  }, 60_000);
});

describe('mlhub publish', () => {
  const cli = (args: string[], who: keyof typeof tokens = 'alice') => runCli(args, { MLHUB_CONFIG: '/nonexistent/mlhub-config.json', MLHUB_URL: mlhub.url, MLHUB_TOKEN: tokens[who] });

  it('publishes the latest version, waits, and prints its DOI and concept DOI', async () => {
    await modelWithVersion('alice', 'pub-cli', FULL);
    const run = await cli(['publish', 'pub-cli']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('Published pub-cli v1: DOI 10.5072/mlhub.pub-cli/v1 (https://doi.org/10.5072/mlhub.pub-cli/v1), concept DOI 10.5072/mlhub.pub-cli');
    const again = await cli(['publish', 'pub-cli', '--version', '1', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ model: 'pub-cli', version: 1, state: 'published', doi: '10.5072/mlhub.pub-cli/v1' });
  }, 60_000);

  it('says what a DOI lacks, or that only the owner publishes, with a non-zero exit', async () => {
    await modelWithVersion('alice', 'pub-cli-bare', { type: 'ONNX' });
    const bare = await cli(['publish', 'pub-cli-bare']);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/set title, authors \(at least one with role creator\), license, description .*400 metadata_incomplete/);
    expect((await as('alice', 'PUT', '/model/pub-cli/access', { grants: [{ user: 'bob', role: 'write' }] })).status).toBe(200);
    const writer = await cli(['publish', 'pub-cli'], 'bob');
    expect(writer.code).not.toBe(0);
    expect(writer.stderr).toMatch(/only its owner may .*403 forbidden/);
  }, 60_000);
});
