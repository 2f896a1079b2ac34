import type { DoiProvider } from './doi-provider';

/**
 * DataCite's REST API for DOIs (support.datacite.org, "REST API Guide" and "Create DOIs with the
 * REST API"): JSON:API bodies (`application/vnd.api+json`) under Basic auth with the repository id.
 * `PUT /dois/{doi}` creates the DOI when the name is free and updates it otherwise, so a retry
 * with a deterministic DOI never mints a second one. Events move a DOI's state: none keeps a
 * draft, `publish` makes it findable, `hide` takes a findable DOI back to registered. Only drafts
 * can be deleted.
 */

export type DoiEvent = 'publish' | 'register' | 'hide';

export interface DataCiteOptions {
  /** `https://api.datacite.org`, or `https://api.test.datacite.org` for the test system. */
  readonly endpoint: string;
  readonly repositoryId: string;
  readonly password: string;
  /** Attempts per call, the first included, when DataCite answers 429 or 5xx or cannot be reached. */
  readonly maxAttempts?: number;
  /** The wait before the second attempt, doubled each time after, in ms; a 429's Retry-After wins. */
  readonly backoffMs?: number;
  /** The longest wait this client accepts, in ms; a longer Retry-After ends the call as retryable. */
  readonly maxWaitMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A refusal or failure, with DataCite's reasons (its JSON:API `errors[].title`, with `source`). */
export class DataCiteError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reasons: readonly string[],
    /** A later try may succeed (429, 5xx, unreachable); a 4xx refusal will not. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DataCiteError';
  }
}

export interface DoiRecord {
  readonly doi: string;
  /** `draft`, `registered` or `findable`. */
  readonly state: string;
  readonly attributes: Record<string, unknown>;
}

/** RFC 9110 §10.2.3: seconds, or an HTTP date. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** DataCite answers JSON, but a proxy or load balancer in front of it may not. */
function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}

function reasonsOf(body: unknown): string[] {
  const errors = (body as { errors?: { title?: unknown; source?: unknown }[] } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((error) => (typeof error.source === 'string' && error.source ? `${error.source}: ${String(error.title ?? '')}` : String(error.title ?? 'unknown error')));
}

/** The DOI provider of a deployment: DataCite's REST API. */
export class DataCiteClient implements DoiProvider {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DataCiteOptions) {
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Creates or updates the DOI, as a draft unless an event says otherwise. */
  putDoi(doi: string, attributes: Record<string, unknown>, event?: DoiEvent): Promise<DoiRecord> {
    return this.call('PUT', doi, { data: { type: 'dois', attributes: { ...attributes, doi, ...(event ? { event } : {}) } } });
  }

  reserveDraft(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord> {
    return this.putDoi(doi, attributes);
  }

  /** Updates the metadata of a DOI in whatever state it is. */
  update(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord> {
    return this.putDoi(doi, attributes);
  }

  publish(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord> {
    return this.putDoi(doi, attributes, 'publish');
  }

  /** Findable → registered: the DOI still resolves, but no longer shows in DataCite's search. */
  hide(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord> {
    return this.putDoi(doi, attributes, 'hide');
  }

  async deleteDraft(doi: string): Promise<void> {
    await this.call('DELETE', doi);
  }

  /** `GET /dois/{doi}`: the DOI's state and metadata, or undefined if the repository has no such DOI (404). */
  async get(doi: string): Promise<DoiRecord | undefined> {
    try {
      return await this.call('GET', doi);
    } catch (error) {
      if (error instanceof DataCiteError && error.status === 404) return undefined;
      throw error;
    }
  }

  private async call(method: 'GET' | 'PUT' | 'DELETE', doi: string, body?: unknown): Promise<DoiRecord> {
    const { endpoint, repositoryId, password } = this.options;
    const attempts = Math.max(1, this.options.maxAttempts ?? 5);
    const maxWait = this.options.maxWaitMs ?? 60_000;
    let wait = this.options.backoffMs ?? 1000;
    const url = `${endpoint.replace(/\/+$/, '')}/dois/${doi.split('/').map(encodeURIComponent).join('/')}`;
    let last: DataCiteError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers: {
            authorization: `Basic ${Buffer.from(`${repositoryId}:${password}`).toString('base64')}`,
            accept: 'application/vnd.api+json',
            ...(body ? { 'content-type': 'application/vnd.api+json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      } catch (error) {
        last = new DataCiteError(`DataCite could not be reached: ${(error as Error).message}`, 0, [], true);
        if (attempt < attempts) await this.sleep(Math.min(wait, maxWait));
        wait *= 2;
        continue;
      }
      const text = await response.text();
      const parsed = parseJson(text);
      if (response.ok) {
        const data = (parsed as { data?: { id?: string; attributes?: Record<string, unknown> } } | null)?.data;
        return { doi: data?.id ?? doi, state: String(data?.attributes?.state ?? (method === 'DELETE' ? 'deleted' : 'draft')), attributes: data?.attributes ?? {} };
      }
      const reasons = reasonsOf(parsed);
      const retryable = response.status === 429 || response.status >= 500;
      last = new DataCiteError(`DataCite answered ${response.status}${reasons.length ? `: ${reasons.join('; ')}` : ''}`, response.status, reasons, retryable);
      if (!retryable) throw last;
      const asked = response.status === 429 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      if (asked !== undefined && asked > maxWait) throw last;
      if (attempt < attempts) await this.sleep(Math.min(asked ?? wait, maxWait));
      wait *= 2;
    }
    throw last ?? new DataCiteError('DataCite call failed', 0, [], true);
  }
}
