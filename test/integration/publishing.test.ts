import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDoiRecordStore } from '../../functions/publishing/dynamo-doi-record-store';
import { registrationProblems } from '../../functions/publishing/datacite-schema';
import { openLocalIssuer } from '../../local/local-issuer';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { LOCAL_TABLE } from '../../local/local-resources';
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

/** Polls `probe` until it gives something, as a client would. */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const found = await probe();
    if (found !== undefined) return found;
  }
  throw new Error('gave up waiting');
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

  it('gives a second version its own DOI under the same concept DOI', async () => {
    await upload('alice', 'pub-digits');
    expect((await as('alice', 'POST', '/model/pub-digits/versions/2/publish')).status).toBe(202);
    expect(await settled('pub-digits', 2)).toMatchObject({ state: 'published', doi: '10.5072/mlhub.pub-digits/v2', concept_doi: '10.5072/mlhub.pub-digits' });
    expect((await as(undefined, 'GET', '/model/pub-digits')).body).toMatchObject({ doi: '10.5072/mlhub.pub-digits/v2', concept_doi: '10.5072/mlhub.pub-digits' });
    const concept = await dois.get('10.5072/mlhub.pub-digits');
    expect((concept?.attributes.relatedIdentifiers as { relationType: string }[]).filter((related) => related.relationType === 'HasVersion')).toHaveLength(2);
  }, 60_000);

  it('withdraws a published version on delete: a 410 tombstone for anyone, its DOI hidden (not deleted) with a Withdrawn date, the model and its concept DOI stay', async () => {
    const deleted = await as('alice', 'DELETE', '/model/pub-digits/versions/1?reason=Trained%20on%20a%20retracted%20dataset');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body).toMatchObject({ status: 'deleted', publication: { state: 'withdrawn', doi: '10.5072/mlhub.pub-digits/v1', withdrawn: expect.any(String), withdrawal_reason: 'Trained on a retracted dataset' } });

    // Its URL, where its DOI resolves, answers 410 with the tombstone, to anyone.
    for (const who of [undefined, 'carol', 'alice'] as const) {
      const gone = await as(who, 'GET', '/model/pub-digits/versions/1');
      expectError(gone, 410, 'version_withdrawn', /Trained on a retracted dataset/);
      expect((gone.body as { tombstone: unknown }).tombstone).toEqual({
        model: 'pub-digits', version: 1, title: 'Digits MLP', authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097', role: 'creator' }],
        doi: '10.5072/mlhub.pub-digits/v1', doi_url: 'https://doi.org/10.5072/mlhub.pub-digits/v1', concept_doi: '10.5072/mlhub.pub-digits',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/), withdrawn: (deleted.body as { publication: { withdrawn: string } }).publication.withdrawn,
        reason: 'Trained on a retracted dataset', versions: [],
      });
    }
    // Its bytes are gone: download and predict answer the tombstone too.
    expectError(await as(undefined, 'GET', '/model/pub-digits/download?version=1&redirect=false'), 410, 'version_withdrawn');
    expectError(await as('alice', 'POST', '/model/pub-digits/versions/1/publish'), 410, 'version_withdrawn');
    // The DOI is hidden, not deleted: registered (still resolving), with the date and the reason.
    const hidden = await until(async () => {
      const model = await as(undefined, 'GET', '/model/pub-digits');
      const listed = (model.body as { versions: { version: number; status: string; publication: Publication & { doi_state: string | null } | null }[] }).versions.find((version) => version.version === 1);
      return listed?.publication?.doi_state === 'registered' ? { model, listed } : undefined;
    });
    expect(hidden.listed).toMatchObject({ status: 'deleted', publication: { state: 'withdrawn' } });
    expect(hidden.model.body).toMatchObject({ doi: '10.5072/mlhub.pub-digits/v2', concept_doi: '10.5072/mlhub.pub-digits', latest_version: 2 });
    const doi = await dois.get('10.5072/mlhub.pub-digits/v1');
    expect(doi?.state).toBe('registered');
    expect(doi?.attributes.dates).toContainEqual({ date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), dateType: 'Withdrawn', dateInformation: 'Trained on a retracted dataset' });
    // The concept DOI stays findable, describing v2, and still lists both versions.
    const concept = await dois.get('10.5072/mlhub.pub-digits');
    expect(concept).toMatchObject({ state: 'findable', attributes: { titles: [{ title: 'Digits MLP' }] } });
    expect((concept?.attributes.relatedIdentifiers as { relationType: string }[]).filter((related) => related.relationType === 'HasVersion')).toHaveLength(2);
    // Deleting it again answers the tombstone.
    expectError(await as('alice', 'DELETE', '/model/pub-digits/versions/1'), 410, 'version_withdrawn');
  }, 60_000);

  it('withdraws a model with DOIs on delete: 410 tombstones for it and each version, every DOI hidden, and the name reserved for ever', async () => {
    // An edit after publishing is not what the DOIs describe: the tombstone keeps what was published.
    expect((await as('alice', 'PUT', '/model/pub-digits', { title: 'Edited after publishing' })).status).toBe(200);
    const deleted = await as('alice', 'DELETE', '/model/pub-digits?reason=Superseded');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body).toEqual({ model: 'pub-digits', deleted: true, versions_deleted: 1, objects_deleted: expect.any(Number), withdrawn: true, versions_withdrawn: 1 });

    const gone = await as(undefined, 'GET', '/model/pub-digits');
    expectError(gone, 410, 'model_withdrawn', /Superseded/);
    expect((gone.body as { tombstone: unknown }).tombstone).toMatchObject({
      model: 'pub-digits', version: null, title: 'Digits MLP', doi: '10.5072/mlhub.pub-digits', concept_doi: '10.5072/mlhub.pub-digits', reason: 'Superseded',
      versions: [{ version: 1, doi: '10.5072/mlhub.pub-digits/v1' }, { version: 2, doi: '10.5072/mlhub.pub-digits/v2' }],
    });
    // A version's URL answers its own tombstone, the one withdrawn before with its own reason.
    expectError(await as('carol', 'GET', '/model/pub-digits/versions/2'), 410, 'version_withdrawn', /Superseded/);
    expectError(await as(undefined, 'GET', '/model/pub-digits/versions/1'), 410, 'version_withdrawn', /retracted/);
    // Nothing else may be done to it, by anyone, and it is out of every listing.
    expectError(await as('alice', 'PUT', '/model/pub-digits', { title: 'Back' }), 410, 'model_withdrawn');
    expectError(await call(mlhub.url, 'POST', '/model/pub-digits/upload', { body: await readFile(BUNDLE), headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${tokens.alice}` } }), 410, 'model_withdrawn');
    expectError(await as('alice', 'DELETE', '/model/pub-digits'), 410, 'model_withdrawn');
    expect(((await as('alice', 'GET', '/models?mine=true')).body as { model: string }[]).map((model) => model.model)).not.toContain('pub-digits');
    expect(((await as(undefined, 'GET', '/models')).body as { model: string }[]).map((model) => model.model)).not.toContain('pub-digits');
    // The name stays reserved, for its owner too.
    for (const who of ['bob', 'alice'] as const) expectError(await as(who, 'POST', '/model/pub-digits', FULL), 409, 'model_exists', /reserved/);

    // Every DOI is hidden with its Withdrawn date, the concept DOI too, and none is deleted.
    for (const name of ['10.5072/mlhub.pub-digits/v2', '10.5072/mlhub.pub-digits']) {
      const doi = await until(async () => ((await dois.get(name))?.state === 'registered' ? dois.get(name) : undefined));
      expect(doi?.attributes.dates, name).toContainEqual(expect.objectContaining({ dateType: 'Withdrawn', dateInformation: 'Superseded' }));
    }
    expect((await dois.get('10.5072/mlhub.pub-digits/v1'))?.state).toBe('registered');
  }, 60_000);

  it('refuses a reason that is empty, too long or not one readable line, naming it, and deletes nothing', async () => {
    await modelWithVersion('alice', 'pub-reasons', FULL);
    for (const reason of ['', 'two%0Alines', 'bidi%E2%80%AEtxt.exe', 'x'.repeat(1001)]) {
      expectError(await as('alice', 'DELETE', `/model/pub-reasons/versions/1?reason=${reason}`), 400, 'invalid_reason', /reason/);
      expectError(await as('alice', 'DELETE', `/model/pub-reasons?reason=${reason}`), 400, 'invalid_reason', /reason/);
    }
    expect(((await as('alice', 'GET', '/model/pub-reasons/versions/1')).body as { status: string }).status).toBe('ready');
    // The refused value is quoted back with what it hides made visible: no override reaches the reader's screen.
    const quoted = (await as('alice', 'DELETE', '/model/pub-reasons?reason=bidi%E2%80%AEtxt%1B%5B31m')).body as { error: { message: string } };
    expect(quoted.error.message).toContain(String.raw`got 'bidi\u{202E}txt\u{1B}[31m'`);
    expect(quoted.error.message.includes('\u202E') || quoted.error.message.includes('\u001B')).toBe(false);
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

  it('withdraws a version, then the model, on mlhub rm, with the reasons given', async () => {
    await modelWithVersion('alice', 'pub-cli-rm', FULL);
    await upload('alice', 'pub-cli-rm');
    for (const version of ['1', '2']) expect((await cli(['publish', 'pub-cli-rm', '--version', version])).code).toBe(0);
    const one = await cli(['rm', 'pub-cli-rm', '--version', '1', '--yes', '--reason', 'Wrong labels']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.trim()).toBe('Withdrew pub-cli-rm v1: its DOI 10.5072/mlhub.pub-cli-rm/v1 still resolves, to its tombstone');
    expectError(await as(undefined, 'GET', '/model/pub-cli-rm/versions/1'), 410, 'version_withdrawn', /Wrong labels/);
    expect((await cli(['show', 'pub-cli-rm'])).stdout).toMatch(/v1 {2}withdrawn /);
    const removed = await cli(['rm', 'pub-cli-rm', '--yes', '--reason', 'Superseded by pub-cli']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout.trim()).toBe('Withdrew pub-cli-rm: its DOIs still resolve, to tombstones, and the name stays reserved; 1 version(s) ended, 1 of them withdrawn');
    expectError(await as(undefined, 'GET', '/model/pub-cli-rm'), 410, 'model_withdrawn', /Superseded by pub-cli/);
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
