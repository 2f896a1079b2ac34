import { DataCiteClient } from './datacite-client';
import { registrationProblems, type SchemaProblem } from './datacite-schema';
import type { DoiRecordStore, StoredDoi } from './doi-record-store';

/**
 * DataCite's former test prefix: no DOI under it resolves anywhere, so nothing the local provider
 * mints can be mistaken for a registered DOI.
 */
export const LOCAL_DOI_PREFIX = '10.5072';

/** The local repository's account, as DataCite's REST API would know it; not a secret (nothing is sent anywhere). */
export const LOCAL_REPOSITORY = { repositoryId: 'MLHUB.LOCAL', password: 'local-provider' } as const;

/** Where the local provider says it lives; fetch never leaves the process for it. */
const LOCAL_ENDPOINT = 'https://api.datacite.invalid';

const JSON_API = 'application/vnd.api+json';

type Event = 'publish' | 'register' | 'hide';

function answer(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': JSON_API } });
}

const refusal = (status: number, problems: readonly SchemaProblem[] | string): Response =>
  answer(status, { errors: typeof problems === 'string' ? [{ status: String(status), title: problems }] : problems.map((problem) => ({ status: String(status), ...problem })) });

/** DataCite's DOI state machine: draft → register → registered; draft or registered → publish → findable; findable → hide → registered. */
function nextState(current: StoredDoi['state'] | undefined, event: Event | undefined): StoredDoi['state'] | string {
  if (event === undefined) return current ?? 'draft';
  if (event === 'publish') return 'findable';
  if (event === 'register') return current === 'findable' ? "a findable DOI can only be hidden, not registered" : 'registered';
  return current === 'findable' ? 'registered' : `only a findable DOI can be hidden; this one is ${current ?? 'new'}`;
}

const view = (record: StoredDoi) => ({ data: { id: record.doi, type: 'dois', attributes: { ...record.attributes, doi: record.doi, state: record.state, created: record.created, updated: record.updated } } });

/**
 * DataCite's REST API for `/dois/{doi}` (support.datacite.org, "REST API Guide"), answered in
 * this process from a DoiRecordStore, as a `fetch` the DataCite client can use: Basic auth with
 * the repository's account; DOIs under LOCAL_DOI_PREFIX only; `PUT` creates (201) or updates
 * (200) a JSON:API `dois` document, moving its state by `event`; a registered or findable DOI
 * must pass the schema's mandatory properties (422 with DataCite's `{errors: [{source, title}]}`);
 * `GET` reads one; `DELETE` removes drafts only (405 otherwise).
 */
export function localDataCiteFetch(store: DoiRecordStore, now: () => Date = () => new Date()): typeof fetch {
  const expectedAuth = `Basic ${Buffer.from(`${LOCAL_REPOSITORY.repositoryId}:${LOCAL_REPOSITORY.password}`).toString('base64')}`;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    if (headers.get('authorization') !== expectedAuth) return refusal(401, 'Bad credentials.');
    const match = /^\/dois\/(.+)$/.exec(url.pathname);
    if (!match) return refusal(404, "The resource you are looking for doesn't exist.");
    const doi = decodeURIComponent(match[1] as string).toLowerCase();
    if (!doi.startsWith(`${LOCAL_DOI_PREFIX}/`)) return refusal(403, `The DOI ${doi} is not under this repository's prefix ${LOCAL_DOI_PREFIX}.`);
    const existing = await store.get(doi);
    if (method === 'GET') return existing ? answer(200, view(existing)) : refusal(404, "The resource you are looking for doesn't exist.");
    if (method === 'DELETE') {
      if (!existing) return refusal(404, "The resource you are looking for doesn't exist.");
      if (existing.state !== 'draft') return refusal(405, 'Method not allowed: only a draft DOI can be deleted.');
      await store.delete(doi);
      return answer(204);
    }
    if (method !== 'PUT') return refusal(405, 'Method not allowed.');
    if (headers.get('content-type') !== JSON_API) return refusal(415, `Send ${JSON_API}.`);
    let document: { data?: { type?: unknown; attributes?: Record<string, unknown> } };
    try {
      document = JSON.parse(typeof init?.body === 'string' ? init.body : '') as typeof document;
    } catch {
      return refusal(400, 'The body is not JSON.');
    }
    const attributes = document.data?.attributes;
    if (document.data?.type !== 'dois' || !attributes || String(attributes.doi ?? '').toLowerCase() !== doi) {
      return refusal(400, 'Send a JSON:API document of type dois whose attributes.doi is the DOI of the URL.');
    }
    const { event, doi: _doi, state: _state, ...given } = attributes as Record<string, unknown> & { event?: unknown };
    if (event !== undefined && event !== 'publish' && event !== 'register' && event !== 'hide') return refusal(422, [{ source: 'event', title: `'${String(event)}' is not publish, register or hide` }]);
    const state = nextState(existing?.state, event);
    if (state !== 'draft' && state !== 'registered' && state !== 'findable') return refusal(422, [{ source: 'event', title: state }]);
    const merged = { ...existing?.attributes, ...given };
    if (state !== 'draft') {
      const problems = registrationProblems(merged);
      if (problems.length > 0) return refusal(422, problems);
    }
    const at = now().toISOString();
    const record: StoredDoi = { doi, state, attributes: merged, created: existing?.created ?? at, updated: at };
    await store.put(record);
    return answer(existing ? 200 : 201, view(record));
  };
}

/** The DOI provider of `npm start`: the DataCite client itself, over localDataCiteFetch, with no network. */
export function localDoiProvider(store: DoiRecordStore, now?: () => Date): DataCiteClient {
  return new DataCiteClient({ endpoint: LOCAL_ENDPOINT, ...LOCAL_REPOSITORY, fetch: localDataCiteFetch(store, now), maxAttempts: 1 });
}
