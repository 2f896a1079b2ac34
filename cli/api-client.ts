import { CliError } from './cli-error';
import type { CliConfig } from './config-store';

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/** MLHub's REST API as the CLI uses it: JSON in and out, errors as one readable line. */
export class ApiClient {
  constructor(private readonly config: CliConfig) {}

  get baseUrl(): string {
    return this.config.url;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}), ...extra };
  }

  async request(method: string, path: string, options: { json?: unknown; body?: RequestInit['body']; contentType?: string; redirect?: RequestRedirect } = {}): Promise<Response> {
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
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
      throw new CliError(error?.message ? `${error.message} (${response.status} ${error.code})` : `${what} failed with ${response.status}`);
    }
    return parsed as T;
  }
}

export const modelPath = (name: string) => `/model/${encodeURIComponent(name)}`;
