import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../functions/errors/app-error';
import { userActor, type Actor } from '../../../functions/identity/actor';
import { DataCiteClient } from '../../../functions/publishing/datacite-client';
import { registrationProblems } from '../../../functions/publishing/datacite-schema';
import { DynamoDoiRecordStore } from '../../../functions/publishing/dynamo-doi-record-store';
import { LOCAL_DOI_PREFIX, localDoiProvider } from '../../../functions/publishing/local-datacite';
import { VersionPublishing } from '../../../functions/publishing/version-publishing';
import { startEmbeddedStores, type EmbeddedStores } from '../../support/embedded-stores';
import { sampleBundle } from '../../support/tarballs';

/*
 * Publishing over the real stores (dynalite, s3rver) with the local DOI provider of npm start,
 * whose DOIs land in the same table.
 */

const alice: Actor = userActor('alice', 'session');
const bob: Actor = userActor('bob', 'session');
let stores: EmbeddedStores;
let dois: DynamoDoiRecordStore;

const FULL_METADATA = {
  description: 'Handwritten digits, a small MLP',
  title: 'Digits MLP',
  authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097', role: 'creator' }, { name: 'Ada Lovelace', role: 'Supervisor' }],
  license: 'MIT',
  keywords: ['mnist'],
  reference: 'https://doi.org/10.1234/paper.5',
};

const publishing = (overrides: Partial<ConstructorParameters<typeof VersionPublishing>[0]> = {}) => new VersionPublishing({
  models: stores.models, versions: stores.versionStore, provider: localDoiProvider(dois), prefix: LOCAL_DOI_PREFIX, publisher: 'MLHub (test)',
  landingUrl: (name, version) => `http://127.0.0.1:8083/model/${name}${version === undefined ? '' : `/versions/${version}`}`,
  ...overrides,
});

async function modelWithVersions(name: string, metadata: Record<string, unknown>, versions = 1): Promise<void> {
  await stores.registry.createModel(alice, name, { type: 'ONNX', ...metadata });
  for (let n = 0; n < versions; n += 1) await stores.direct.addVersion(alice, name, { bytes: await sampleBundle('mnist', [{ name: `mnist/extra-${n}.txt`, content: String(n) }]) });
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  expect(outcome).toBeInstanceOf(AppError);
  return outcome as AppError;
}

beforeAll(async () => {
  stores = await startEmbeddedStores();
  dois = new DynamoDoiRecordStore(stores.documents, stores.tableName);
}, 60_000);

afterAll(async () => {
  await stores?.close();
});

describe('publishing a version', () => {
  it('freezes the metadata, makes the model public, and registers a version DOI under a concept DOI, once', async () => {
    await modelWithVersions('pub-digits', FULL_METADATA);
    const requested = await publishing().request(alice, 'pub-digits', 1);
    expect(requested).toMatchObject({ state: 'publishing', doi: `${LOCAL_DOI_PREFIX}/mlhub.pub-digits/v1`, conceptDoi: `${LOCAL_DOI_PREFIX}/mlhub.pub-digits`, requestedBy: 'alice' });
    expect((await stores.models.getModelRecord('pub-digits'))?.visibility).toBe('public');

    // The owner edits the model before registration runs: the DOI describes the frozen snapshot.
    await stores.registry.updateModel(alice, 'pub-digits', { title: 'Renamed later' }, 'any');
    const published = await publishing().register('pub-digits', 1);
    expect(published).toMatchObject({ state: 'published', publishedAt: expect.any(String) });

    const versionDoi = await dois.get(requested.doi);
    expect(versionDoi).toMatchObject({ state: 'findable', attributes: { titles: [{ title: 'Digits MLP' }], version: '1', url: 'http://127.0.0.1:8083/model/pub-digits/versions/1' } });
    expect(registrationProblems(versionDoi?.attributes ?? {})).toEqual([]);
    expect(versionDoi?.attributes.relatedIdentifiers).toEqual([
      { relatedIdentifier: '10.1234/paper.5', relatedIdentifierType: 'DOI', relationType: 'References' },
      { relatedIdentifier: requested.conceptDoi, relatedIdentifierType: 'DOI', relationType: 'IsVersionOf' },
    ]);
    const concept = await dois.get(requested.conceptDoi);
    expect(concept).toMatchObject({ state: 'findable', attributes: { url: 'http://127.0.0.1:8083/model/pub-digits' } });
    expect(concept?.attributes.relatedIdentifiers).toContainEqual({ relatedIdentifier: requested.doi, relatedIdentifierType: 'DOI', relationType: 'HasVersion' });

    // Asking again answers the same publication, and registering again changes nothing.
    expect(await publishing().request(alice, 'pub-digits', 1)).toMatchObject({ state: 'published', doi: requested.doi, requestedAt: requested.requestedAt });
    const updatedAt = (await dois.get(requested.doi))?.updated;
    expect((await publishing().register('pub-digits', 1))?.state).toBe('published');
    expect((await dois.get(requested.doi))?.updated).toBe(updatedAt);
    expect((await stores.versionStore.get('pub-digits', 1))?.publication?.snapshot.metadata.title).toBe('Digits MLP');
  });

  it('gives a second version its own DOI, and the concept DOI then lists both and describes the newest', async () => {
    await modelWithVersions('pub-two', FULL_METADATA, 2);
    for (const n of [1, 2]) {
      await publishing().request(alice, 'pub-two', n);
      await publishing().register('pub-two', n);
    }
    const concept = await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.pub-two`);
    expect((concept?.attributes.relatedIdentifiers as { relatedIdentifier: string; relationType: string }[]).filter((related) => related.relationType === 'HasVersion').map((related) => related.relatedIdentifier))
      .toEqual([`${LOCAL_DOI_PREFIX}/mlhub.pub-two/v1`, `${LOCAL_DOI_PREFIX}/mlhub.pub-two/v2`]);
    expect(concept?.attributes.sizes).toEqual([`${(await stores.versionStore.get('pub-two', 2))?.size} bytes`]);
    expect(concept?.attributes.version).toBeUndefined();
    expect((await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.pub-two/v2`))?.state).toBe('findable');
  });

  it('lists what a DOI still lacks and writes nothing', async () => {
    await modelWithVersions('pub-bare', { description: 'no authors yet' });
    const error = await refusal(publishing().request(alice, 'pub-bare', 1));
    expect(error).toMatchObject({ code: 'metadata_incomplete' });
    expect(error.message).toMatch(/set title, authors \(at least one with role creator\), license/);
    expect((await stores.versionStore.get('pub-bare', 1))?.publication).toBeUndefined();
    expect((await stores.models.getModelRecord('pub-bare'))?.visibility).toBe('private');
  });

  it('lets only the owner publish: a writer gets 403, a stranger the usual 404, and a missing version 404', async () => {
    await modelWithVersions('pub-shared', FULL_METADATA);
    await stores.registry.setAccess(alice, 'pub-shared', { grants: [{ user: 'bob', role: 'write' }] });
    expect(await refusal(publishing().request(bob, 'pub-shared', 1))).toMatchObject({ code: 'forbidden' });
    await stores.registry.setAccess(alice, 'pub-shared', { grants: [] });
    expect(await refusal(publishing().request(bob, 'pub-shared', 1))).toMatchObject({ code: 'model_not_found' });
    expect(await refusal(publishing().request(alice, 'pub-shared', 9))).toMatchObject({ code: 'version_not_found' });
  });

  it('records a refusal as publish_failed with the reasons, and a new request retries with the same DOI names', async () => {
    await modelWithVersions('pub-retry', FULL_METADATA);
    // A prefix the repository does not hold: the provider refuses (403), which no retry changes.
    const wrongPrefix = publishing({ prefix: '10.80000' });
    await wrongPrefix.request(alice, 'pub-retry', 1);
    expect(await wrongPrefix.register('pub-retry', 1)).toMatchObject({ state: 'publish_failed', reason: expect.stringMatching(/not under this repository's prefix/) });
    expect((await stores.versionStore.get('pub-retry', 1))?.publication).toMatchObject({ state: 'publish_failed' });
    const retried = await publishing().request(alice, 'pub-retry', 1);
    expect(retried).toMatchObject({ state: 'publishing', doi: `${LOCAL_DOI_PREFIX}/mlhub.pub-retry/v1` });
    expect((await publishing().register('pub-retry', 1))?.state).toBe('published');
  });

  it('leaves the version publishing when the provider may answer later, so the caller retries', async () => {
    await modelWithVersions('pub-later', FULL_METADATA);
    const unreachable = new DataCiteClient({ endpoint: 'https://api.datacite.invalid', repositoryId: 'X', password: 'y', maxAttempts: 1, fetch: async () => { throw new TypeError('fetch failed'); } });
    await publishing().request(alice, 'pub-later', 1);
    await expect(publishing({ provider: unreachable }).register('pub-later', 1)).rejects.toMatchObject({ retryable: true });
    expect((await stores.versionStore.get('pub-later', 1))?.publication?.state).toBe('publishing');
    expect((await publishing().register('pub-later', 1))?.state).toBe('published');
  });
});
