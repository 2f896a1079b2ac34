import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataCiteClient, DataCiteError, retryAfterMs } from '../../../functions/publishing/datacite-client';
import { doiNames } from '../../../functions/publishing/doi-provider';
import { dataciteAttributes, missingForDoi, type PublishedVersion } from '../../../functions/publishing/datacite-metadata';
// The schema's mandatory properties, checked as DataCite does on register and publish.
import { registrationProblems } from '../../../functions/publishing/datacite-schema';

/*
 * The DataCite client against a small server that follows DataCite's published REST behaviour
 * (support.datacite.org, "REST API Guide"): JSON:API under Basic auth, PUT /dois/{doi} creating or
 * updating, events moving a DOI between draft, registered and findable, only drafts deletable,
 * 422 with {"errors":[{"source","title"}]} for metadata it refuses, and 429 with Retry-After.
 */

const REPOSITORY = 'MLHUB.TEST';
const PASSWORD = 'not-a-real-password';
const stored = new Map<string, Record<string, unknown>>();
const received: { method: string; doi: string; body: { data?: { type?: string; attributes?: Record<string, unknown> } } }[] = [];
let failures: { status: number; retryAfter?: string }[] = [];
let server: Server;
let endpoint: string;

function answer(response: ServerResponse, status: number, body?: unknown): void {
  response.writeHead(status, { 'content-type': 'application/vnd.api+json' });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const doi = decodeURIComponent((request.url ?? '').replace(/^\/dois\//, ''));
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
  received.push({ method: request.method ?? '', doi, body });
  if (request.headers.authorization !== `Basic ${Buffer.from(`${REPOSITORY}:${PASSWORD}`).toString('base64')}`) return answer(response, 401, { errors: [{ status: '401', title: 'Bad credentials.' }] });
  const failure = failures.shift();
  if (failure) {
    response.writeHead(failure.status, { 'content-type': 'application/vnd.api+json', ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) });
    // A gateway in front of DataCite may answer HTML.
    return void response.end(failure.status === 502 ? '<html><body>Bad Gateway</body></html>' : JSON.stringify({ errors: [{ status: String(failure.status), title: 'Try again later' }] }));
  }
  const existing = stored.get(doi);
  if (request.method === 'GET') {
    if (!existing) return answer(response, 404, { errors: [{ status: '404', title: 'The resource you are looking for doesn\'t exist.' }] });
    return answer(response, 200, { data: { id: doi, type: 'dois', attributes: existing } });
  }
  if (request.method === 'DELETE') {
    if (!existing) return answer(response, 404, { errors: [{ status: '404', title: 'The resource you are looking for doesn\'t exist.' }] });
    if (existing.state !== 'draft') return answer(response, 405, { errors: [{ status: '405', title: 'Method not allowed' }] });
    stored.delete(doi);
    return answer(response, 204);
  }
  if (request.headers['content-type'] !== 'application/vnd.api+json' || body.data?.type !== 'dois' || body.data.attributes?.doi !== doi) {
    return answer(response, 400, { errors: [{ status: '400', title: 'Not a JSON:API dois document for this DOI' }] });
  }
  const { event, ...attributes } = body.data.attributes as Record<string, unknown> & { event?: string };
  const merged = { ...existing, ...attributes };
  if (event === 'publish' || event === 'register') {
    const missing = registrationProblems(merged);
    if (missing.length) return answer(response, 422, { errors: missing });
  }
  const state = event === 'publish' ? 'findable' : event === 'register' ? 'registered' : event === 'hide' ? (existing?.state === 'findable' ? 'registered' : existing?.state) : (existing?.state ?? 'draft');
  stored.set(doi, { ...merged, state });
  return answer(response, existing ? 200 : 201, { data: { id: doi, type: 'dois', attributes: { ...merged, state } } });
}

const version: PublishedVersion = {
  name: 'digits', version: 2, size: 24424, sha256: 'a'.repeat(64), description: 'A digit classifier', discipline: 'Computer vision',
  metadata: {
    title: 'Handwritten digits, a small MLP',
    authors: [
      { name: 'Josiah Carberry', orcid: '0000-0002-1825-0097', affiliation: { name: 'Brown University', ror: 'https://ror.org/05gq02987' }, role: 'creator' },
      { name: 'Ada Lovelace', role: 'Supervisor' },
    ],
    license: 'CC-BY-4.0',
    keywords: ['mnist'],
    related_identifiers: [{ identifier: '10.5281/zenodo.1234567', identifier_type: 'DOI', relation_type: 'IsDerivedFrom' }],
    funding: [{ funder_name: 'European Research Council', award_number: '101001' }],
  },
};
const context = { doi: '10.80000/mlhub.digits.v2', url: 'https://mlhub.example/model/digits/versions/2', publisher: 'MLHub', issued: '2026-11-30T16:00:00Z', conceptDoi: '10.80000/mlhub.digits' };
const client = (extra: Partial<ConstructorParameters<typeof DataCiteClient>[0]> = {}) => new DataCiteClient({ endpoint, repositoryId: REPOSITORY, password: PASSWORD, backoffMs: 1, sleep: async () => undefined, ...extra });

beforeAll(async () => {
  server = createServer((request, response) => void handle(request, response));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  stored.clear();
  received.length = 0;
  failures = [];
});

describe('DataCite attributes of a model version', () => {
  const attributes = dataciteAttributes(version, context);

  it('carry every mandatory property, the Model type, creators with ORCID and ROR, the license as SPDX, and the link to the concept DOI', () => {
    expect(registrationProblems(attributes)).toEqual([]);
    expect(attributes).toMatchObject({
      types: { resourceTypeGeneral: 'Model', resourceType: 'Trained machine learning model' },
      creators: [{ name: 'Josiah Carberry', nameType: 'Personal', nameIdentifiers: [{ nameIdentifier: 'https://orcid.org/0000-0002-1825-0097', nameIdentifierScheme: 'ORCID' }], affiliation: [{ name: 'Brown University', affiliationIdentifier: 'https://ror.org/05gq02987', affiliationIdentifierScheme: 'ROR' }] }],
      contributors: [{ name: 'Ada Lovelace', contributorType: 'Supervisor' }],
      rightsList: [{ rightsIdentifier: 'CC-BY-4.0', rightsIdentifierScheme: 'SPDX' }],
      publicationYear: 2026,
      version: '2',
      sizes: ['24424 bytes'],
      schemaVersion: 'http://datacite.org/schema/kernel-4',
    });
    expect(attributes.relatedIdentifiers).toEqual([
      { relatedIdentifier: '10.5281/zenodo.1234567', relatedIdentifierType: 'DOI', relationType: 'IsDerivedFrom' },
      { relatedIdentifier: '10.80000/mlhub.digits', relatedIdentifierType: 'DOI', relationType: 'IsVersionOf' },
    ]);
  });

  it('name what a DOI still lacks', () => {
    expect(missingForDoi(version)).toEqual([]);
    expect(missingForDoi({ ...version, description: null, metadata: { authors: [{ name: 'A', role: 'Supervisor' }] } })).toEqual(['title', 'authors (at least one with role creator)', 'license', 'description']);
  });
});

describe('DataCiteClient', () => {
  it('reserves a draft, publishes it, and publishing again updates the same DOI rather than minting another', async () => {
    const attributes = dataciteAttributes(version, context);
    expect((await client().reserveDraft(context.doi, attributes)).state).toBe('draft');
    expect((await client().publish(context.doi, attributes)).state).toBe('findable');
    expect((await client().publish(context.doi, attributes)).state).toBe('findable');
    expect([...stored.keys()]).toEqual([context.doi]);
    const published = received.find((call) => call.body.data?.attributes?.event === 'publish');
    expect(published?.body.data?.type).toBe('dois');
    expect(published?.body.data?.attributes).toMatchObject({ doi: context.doi, event: 'publish', creators: [expect.objectContaining({ nameIdentifiers: [expect.objectContaining({ nameIdentifierScheme: 'ORCID' })] })] });
  });

  it('hides a findable DOI, which stays (registered) and cannot be deleted; a draft can', async () => {
    const attributes = dataciteAttributes(version, context);
    await client().publish(context.doi, attributes);
    expect((await client().hide(context.doi, attributes)).state).toBe('registered');
    await expect(client().deleteDraft(context.doi)).rejects.toMatchObject({ status: 405, retryable: false });
    await client().reserveDraft('10.80000/mlhub.draft', attributes);
    await client().deleteDraft('10.80000/mlhub.draft');
    expect(stored.has('10.80000/mlhub.draft')).toBe(false);
  });

  it('reads a DOI (GET), undefined when DataCite has none, and updates its metadata without moving its state', async () => {
    const attributes = dataciteAttributes(version, { ...context, doi: '10.80000/mlhub.read', withdrawn: { date: '2026-12-01T10:00:00Z', reason: 'Retracted' } });
    expect(await client().get('10.80000/mlhub.read')).toBeUndefined();
    await client().publish('10.80000/mlhub.read', attributes);
    await client().hide('10.80000/mlhub.read', attributes);
    const read = await client().get('10.80000/mlhub.read');
    expect(read).toMatchObject({ doi: '10.80000/mlhub.read', state: 'registered' });
    expect(read?.attributes.dates).toContainEqual({ date: '2026-12-01', dateType: 'Withdrawn', dateInformation: 'Retracted' });
    expect((await client().update('10.80000/mlhub.read', { ...attributes, titles: [{ title: 'Renamed' }] })).state).toBe('registered');
    expect(received.at(-1)?.body.data?.attributes?.event).toBeUndefined();
    expect(received.filter((call) => call.method === 'GET').map((call) => call.doi)).toEqual(['10.80000/mlhub.read', '10.80000/mlhub.read']);
  });

  it('reports a 422 with DataCite\'s reasons, naming the properties, without retrying', async () => {
    const error = await client().publish('10.80000/mlhub.bare', { url: context.url }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataCiteError);
    expect(error).toMatchObject({ status: 422, retryable: false });
    expect((error as DataCiteError).reasons).toEqual(expect.arrayContaining(["creators: can't be blank", "titles: can't be blank"]));
    expect(received.filter((call) => call.method === 'PUT')).toHaveLength(1);
  });

  it('waits as a 429\'s Retry-After says, backs off on 5xx, then succeeds', async () => {
    const waits: number[] = [];
    failures = [{ status: 429, retryAfter: '3' }, { status: 503 }, { status: 502 }];
    const record = await client({ sleep: async (ms) => void waits.push(ms), backoffMs: 100 }).publish(context.doi, dataciteAttributes(version, context));
    expect(record.state).toBe('findable');
    expect(waits).toEqual([3000, 200, 400]);
  });

  it('gives up after its attempts, or at once when Retry-After is longer than it will wait, as retryable', async () => {
    failures = [{ status: 503 }, { status: 503 }, { status: 503 }];
    await expect(client({ maxAttempts: 3 }).publish(context.doi, dataciteAttributes(version, context))).rejects.toMatchObject({ status: 503, retryable: true });
    failures = [{ status: 429, retryAfter: '3600' }];
    await expect(client({ maxWaitMs: 60_000 }).publish(context.doi, dataciteAttributes(version, context))).rejects.toMatchObject({ status: 429, retryable: true });
    expect(stored.size).toBe(0);
  });

  it('refuses wrong credentials as a refusal, not a retry', async () => {
    await expect(new DataCiteClient({ endpoint, repositoryId: REPOSITORY, password: 'wrong', sleep: async () => undefined }).reserveDraft(context.doi, {})).rejects.toMatchObject({ status: 401, retryable: false });
  });

  it('reads Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3)', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(new Date(Date.UTC(2026, 10, 30, 12, 0, 30)).toUTCString(), Date.UTC(2026, 10, 30, 12, 0, 0))).toBe(30_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('doiNames', () => {
  it('names a model\'s concept DOI and its version DOIs the same way every time', () => {
    const names = doiNames('10.80000', 'digits');
    expect(names.concept).toBe('10.80000/mlhub.digits');
    expect(names.version(2)).toBe('10.80000/mlhub.digits/v2');
    expect(doiNames('10.80000', 'digits').version(2)).toBe(names.version(2));
  });

  it('keeps names apart that DOIs, which ignore case, or a version suffix would merge', () => {
    expect(doiNames('10.80000', 'MNIST').concept.toLowerCase()).not.toBe(doiNames('10.80000', 'mnist').concept.toLowerCase());
    expect(doiNames('10.80000', 'a.v2').concept).not.toBe(doiNames('10.80000', 'a').version(2));
    expect(doiNames('10.80000', 'a_b').concept.toLowerCase()).not.toBe(doiNames('10.80000', 'aB').concept.toLowerCase());
    for (const name of ['MNIST', 'a_b', 'aB', 'x.Y-z_1']) expect(doiNames('10.80000', name).version(1)).toMatch(/^10\.80000\/[a-z0-9\-._;()/]+$/);
  });

  it('refuses a prefix that is not one', () => {
    expect(() => doiNames('10.1', 'digits')).toThrow(/DOI prefix/);
    expect(() => doiNames('doi:10.80000', 'digits')).toThrow(/DOI prefix/);
  });
});

describe('a named version DOI through the client', () => {
  it('reaches DataCite as the same DOI, its slashes kept as path separators', async () => {
    const doi = doiNames('10.80000', 'Digits').version(3);
    const record = await client().publish(doi, dataciteAttributes(version, { ...context, doi }));
    expect(record.doi).toBe('10.80000/mlhub._digits/v3');
    expect([...stored.keys()]).toEqual([doi]);
  });
});
