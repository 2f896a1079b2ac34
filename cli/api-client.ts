import { CliError } from './cli-error';
import type { CliConfig } from './config-store';
import { DEFAULT_RETRY_POLICY, retryDelaySeconds, type RetryPolicy } from './retry-after';

interface ErrorBody {
  error?: { code?: string; message?: string };
}

export interface ApiClientOptions {
  readonly retry?: RetryPolicy;
  /** Told each wait before a retry (default: a line on stderr, which leaves --json output alone). */
  readonly notice?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a 401 means to someone at the command line: the server's answer speaks HTTP (`send
 * Authorization: Bearer <token>`), the CLI says which command signs in. No credentials
 * (authentication_required): log in. A token refused (invalid_token: unknown, revoked, expired,
 * malformed): the server's reason, then log in again, or give another token.
 */
function signInAdvice(error: ErrorBody['error'], url: string): string {
  let origin = '<url>';
  try {
    origin = new URL(url).origin;
  } catch {
    // A response made by hand has no URL; the placeholder stands.
  }
  const login = `mlhub login --local (the MLHub of npm start) or mlhub login --url ${origin} --token <token>`;
  if (error?.code === 'invalid_token') {
    return `${(error.message ?? 'MLHub refused the token').replace(/\.?$/, '')} (401 invalid_token). Log in again: ${login}; or give a valid --token or MLHUB_TOKEN`;
  }
  return `Not logged in: this needs a signed-in user (401 ${error?.code ?? 'unauthenticated'}). Log in with ${login}`;
}

/** A body that can be sent again as it is (not a stream, which the first try consumed). */
const replayable = (body: RequestInit['body'] | undefined): boolean => body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;

/**
 * MLHub's REST API as the CLI uses it: JSON in and out, errors as one readable line. A 429 (a
 * rate limit: too many requests of one class from this user) is waited out as its Retry-After
 * says, a few times and never for long (cli/retry-after.ts), then reported.
 */
export class ApiClient {
  private readonly retry: RetryPolicy;
  private readonly notice: (line: string) => void;

  constructor(private readonly config: CliConfig, options: ApiClientOptions = {}) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.notice = options.notice ?? ((line) => process.stderr.write(`${line}\n`));
  }

  get baseUrl(): string {
    return this.config.url;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}), ...extra };
  }

  async request(method: string, path: string, options: { json?: unknown; body?: RequestInit['body']; contentType?: string; redirect?: 'follow' | 'manual' | 'error' } = {}): Promise<Response> {
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
    for (let attempt = 1; ; attempt += 1) {
      const response = await this.send(method, path, body, options);
      if (response.status !== 429 || !replayable(body)) return response;
      const wait = retryDelaySeconds(response.headers.get('retry-after'), attempt, this.retry);
      if (wait === undefined) return response;
      await response.body?.cancel();
      this.notice(`MLHub is rate limiting ${method} ${path} (429); retrying in ${wait} s (${attempt} of ${this.retry.maxRetries})`);
      await sleep(wait * 1000);
    }
  }

  private async send(method: string, path: string, body: RequestInit['body'] | undefined, options: { json?: unknown; contentType?: string; redirect?: 'follow' | 'manual' | 'error' }): Promise<Response> {
    const contentType = options.json !== undefined ? 'application/json' : options.contentType;
    try {
      return await fetch(`${this.config.url}${path}`, {
        method,
        headers: this.headers(contentType ? { 'content-type': contentType } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(options.redirect ? { redirect: options.redirect } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(cause?.code === 'ECONNREFUSED'
        ? `No MLHub answers at ${this.config.url}; start one with npm start, or run mlhub login --url <url>`
        : `Could not reach MLHub at ${this.config.url}: ${cause?.message ?? (error as Error).message}`);
    }
  }

  /** Sends a request and returns its JSON body, or throws a CliError carrying MLHub's message. */
  async json<T>(method: string, path: string, options: Parameters<ApiClient['request']>[2] = {}): Promise<T> {
    const response = await this.request(method, path, options);
    return ApiClient.read<T>(response, `${method} ${path}`);
  }

  static async read<T>(response: Response, what: string): Promise<T> {
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new CliError(`${what} answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok && response.status !== 202) {
      const error = (parsed as ErrorBody).error;
      if (response.status === 401) throw new CliError(signInAdvice(error, response.url));
      throw new CliError(error?.message ? `${error.message} (${response.status} ${error.code})` : `${what} failed with ${response.status}`);
    }
    return parsed as T;
  }
}

export const modelPath = (name: string) => `/model/${encodeURIComponent(name)}`;
