import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataCiteError } from '../../../functions/publishing/datacite-client';
import { dataciteAttributes, type PublishedVersion } from '../../../functions/publishing/datacite-metadata';
import { registrationProblems } from '../../../functions/publishing/datacite-schema';
import { doiNames } from '../../../functions/publishing/doi-provider';
import { DynamoDoiRecordStore } from '../../../functions/publishing/dynamo-doi-record-store';
import { LOCAL_DOI_PREFIX, LOCAL_REPOSITORY, localDataCiteFetch, localDoiProvider } from '../../../functions/publishing/local-datacite';
import { startDynamoServer, type EmbeddedServer } from '../../../local/dynamodb-server';
import { ensureTable } from '../../../local/provision';
import { LOCAL_S3_CREDENTIALS } from '../../../local/s3-server';

/*
 * The local DOI provider of `npm start`: the real DataCite client over an in-process DataCite
 * that keeps its DOIs in MLHub's table (dynalite here, over the DynamoDB protocol).
 */

let dynamo: EmbeddedServer;
let store: DynamoDoiRecordStore;

const version: PublishedVersion = {
  name: 'Digits_v', version: 1, size: 24424, sha256: 'b'.repeat(64), description: 'A digit classifier', discipline: null,
  metadata: { title: 'Digits', authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097', role: 'creator' }], license: 'MIT' },
};
const names = doiNames(LOCAL_DOI_PREFIX, version.name);
const attributesFor = (doi: string) => dataciteAttributes(version, { doi, url: 'http://127.0.0.1:8083/model/Digits_v/versions/1', publisher: 'MLHub (local)', issued: '2026-11-30T18:00:00Z', conceptDoi: names.concept });

beforeAll(async () => {
  dynamo = await startDynamoServer({ host: '127.0.0.1' });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
  await ensureTable(client, 'mlhub-dois');
  store = new DynamoDoiRecordStore(DynamoDBDocumentClient.from(client), 'mlhub-dois');
}, 30_000);

afterAll(async () => {
  await dynamo?.close();
});

describe('the local DOI provider', () => {
  it('mints under the test prefix, keeps the DOI in the table, and publishing again updates the same DOI', async () => {
    const provider = localDoiProvider(store);
    const doi = names.version(1);
    expect(doi).toBe(`${LOCAL_DOI_PREFIX}/mlhub._digits__v/v1`);
    expect((await provider.reserveDraft(doi, attributesFor(doi))).state).toBe('draft');
    const published = await provider.publish(doi, attributesFor(doi));
    expect(published).toMatchObject({ doi, state: 'findable', attributes: { types: { resourceTypeGeneral: 'Model' }, version: '1' } });
    const created = (await store.get(doi))?.created;
    expect((await provider.publish(doi, attributesFor(doi))).state).toBe('findable');
    expect(await store.get(doi)).toMatchObject({ doi, state: 'findable', created });
    // DOIs compare without case: the same DOI in capitals is the same record.
    expect(await store.get(doi.toUpperCase())).toMatchObject({ doi });
  });

  it('hides a findable DOI (registered: it still resolves), and deletes only drafts', async () => {
    const provider = localDoiProvider(store);
    const doi = names.version(2);
    await provider.publish(doi, attributesFor(doi));
    expect((await provider.hide(doi, { dates: [{ date: '2026-12-01', dateType: 'Withdrawn', dateInformation: 'licence problem' }] })).state).toBe('registered');
    expect((await store.get(doi))?.attributes).toMatchObject({ titles: [{ title: 'Digits' }], dates: [{ dateType: 'Withdrawn' }] });
    await expect(provider.deleteDraft(doi)).rejects.toMatchObject({ status: 405, retryable: false });
    const draft = names.version(3);
    await provider.reserveDraft(draft, {});
    await provider.deleteDraft(draft);
    expect(await store.get(draft)).toBeUndefined();
  });

  it("refuses, as DataCite does, what a registered DOI lacks, a DOI outside its prefix, bad credentials and impossible moves", async () => {
    const provider = localDoiProvider(store);
    const doi = names.version(4);
    const refusal = await provider.publish(doi, { ...attributesFor(doi), titles: [], types: { resourceTypeGeneral: 'Trained model' } }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataCiteError);
    expect(refusal).toMatchObject({ status: 422, retryable: false, reasons: ['titles: can\'t be blank', expect.stringMatching(/^types: resourceTypeGeneral 'Trained model' is not one of/)] });
    expect(await store.get(doi)).toBeUndefined();
    await expect(provider.publish('10.5281/zenodo.1', attributesFor('10.5281/zenodo.1'))).rejects.toMatchObject({ status: 403 });
    await expect(provider.hide(names.version(5), {})).rejects.toMatchObject({ status: 422, reasons: ['event: only a findable DOI can be hidden; this one is new'] });
    const wrongPassword = await localDataCiteFetch(store)(`https://api.datacite.invalid/dois/${encodeURIComponent(doi)}`, {
      method: 'GET', headers: { authorization: `Basic ${Buffer.from(`${LOCAL_REPOSITORY.repositoryId}:guess`).toString('base64')}` },
    });
    expect(wrongPassword.status).toBe(401);
  });
});

describe('the DataCite schema checker', () => {
  it('passes what a version produces and names each mandatory property missing', () => {
    expect(registrationProblems(attributesFor(names.version(1)))).toEqual([]);
    expect(registrationProblems({}).map((problem) => problem.source)).toEqual(['creators', 'titles', 'publisher', 'publicationYear', 'types', 'url']);
    expect(registrationProblems({ ...attributesFor(names.version(1)), publicationYear: 26, creators: [{ name: ' ' }] })).toEqual([
      { source: 'creators', title: "can't be blank" },
      { source: 'publicationYear', title: 'must be a year of four digits' },
    ]);
  });
});
