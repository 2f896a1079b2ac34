import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResult } from './responses';

/**
 * MLHub's CORS policy (Fetch standard, "CORS protocol"), the one source of it: the route
 * functions add its headers to every answer, the fallback function answers preflights with it,
 * the stack routes `OPTIONS <path>` to that function (lib/api/mlhub-http-api.ts), and the local
 * runtime runs the same handlers with the same setting.
 *
 * MLHub answers CORS itself rather than through the HTTP API's CORS configuration: an HTTP API
 * hands OPTIONS to any route that matches it (an `ANY` route, `$default`) instead of answering
 * the preflight, and once CORS is configured it drops the CORS headers its integrations return
 * (API Gateway Developer Guide, "Configure CORS for HTTP APIs"; aws/serverless-application-model#1603).
 */

/** The browser origins allowed to call the API, comma-separated; unset or empty: no CORS at all. */
export const CORS_ENV = 'MLHUB_CORS_ORIGINS';

/** Request headers browsers may send beyond the CORS-safelisted ones. */
export const CORS_REQUEST_HEADERS: readonly string[] = ['authorization', 'content-type', 'if-match'];

/** Response headers MLHub's handlers set that browser code needs to read. */
export const CORS_RESPONSE_HEADERS: readonly string[] = [
  'allow', 'content-disposition', 'etag', 'link', 'location', 'retry-after', 'x-next-cursor', 'x-request-id', 'x-mlhub-version', 'x-mlhub-sha256',
  'ratelimit', 'ratelimit-policy',
];

/** How long a browser may reuse a preflight's answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 3600;

/**
 * Why a configured origin would never match a browser's `Origin` header, or undefined when it is
 * one: an origin is scheme, host and port only, over https, or http on localhost for development.
 */
export function originProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `'${text}' is not an origin such as https://app.example.org`;
  }
  if (url.origin !== text || (url.protocol !== 'https:' && !(url.protocol === 'http:' && url.hostname === 'localhost'))) {
    return `'${text}' must be an https origin (scheme and host, no path), or http://localhost`;
  }
  return undefined;
}

/** Reads a comma-separated list of origins; throws naming the first that is not one. */
export function parseCorsOrigins(text: string): readonly string[] {
  const origins = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const origin of origins) {
    const problem = originProblem(origin);
    if (problem) throw new Error(problem);
  }
  return [...new Set(origins)];
}

let cached: { readonly raw: string; readonly origins: readonly string[] } | undefined;

/** The allowed origins from MLHUB_CORS_ORIGINS; throws naming the variable when one is not an origin. */
export function loadCorsOrigins(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const raw = env[CORS_ENV] ?? '';
  if (cached?.raw === raw) return cached.origins;
  try {
    cached = { raw, origins: parseCorsOrigins(raw) };
  } catch (error) {
    throw new Error(`${CORS_ENV}: ${(error as Error).message}`);
  }
  return cached.origins;
}

const headerOf = (event: APIGatewayProxyEventV2, name: string): string | undefined => event.headers?.[name];

/**
 * The headers an answer to `origin` carries: who may read it and which headers it may read, and
 * `Vary: Origin` whenever CORS is on (the answer differs by origin, so caches must keep them apart).
 */
export function corsResponseHeaders(origins: readonly string[], origin: string | undefined): Record<string, string> {
  if (origins.length === 0) return {};
  if (origin === undefined || !origins.includes(origin)) return { vary: 'origin' };
  return { vary: 'origin', 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS_RESPONSE_HEADERS.join(', ') };
}

/** A preflight: OPTIONS with `Origin` and `Access-Control-Request-Method` (Fetch standard, "CORS-preflight request"). */
export const isPreflight = (event: APIGatewayProxyEventV2): boolean =>
  event.requestContext?.http?.method === 'OPTIONS' && headerOf(event, 'origin') !== undefined && headerOf(event, 'access-control-request-method') !== undefined;

/**
 * The answer to a preflight on a path served with `methods`: 204, and for an allowed origin the
 * methods, request headers and max age it may use. A disallowed origin gets 204 with no
 * Access-Control-* headers, which the browser takes as a refusal.
 */
export function preflightResponse(origins: readonly string[], origin: string | undefined, methods: readonly string[]): HttpResult {
  const headers = corsResponseHeaders(origins, origin);
  if (headers['access-control-allow-origin'] !== undefined) {
    delete headers['access-control-expose-headers'];
    Object.assign(headers, {
      'access-control-allow-methods': methods.join(', '),
      'access-control-allow-headers': CORS_REQUEST_HEADERS.join(', '),
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    });
  }
  return { statusCode: 204, headers, body: '' };
}

/**
 * Adds the CORS headers for the request's `Origin` to every answer but a preflight's, errors
 * included. Use it before the error formatter, so that it sees the final answer.
 */
export function corsHeaders(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  const add = async (request: { event: APIGatewayProxyEventV2; response: HttpResult | null }): Promise<void> => {
    // A preflight's answer carries its own CORS headers (preflightResponse).
    if (!request.response || isPreflight(request.event)) return;
    const headers = corsResponseHeaders(loadCorsOrigins(), headerOf(request.event, 'origin'));
    const vary = request.response.headers?.vary;
    if (headers.vary && vary) headers.vary = `${vary}, ${headers.vary}`;
    request.response.headers = { ...request.response.headers, ...headers };
  };
  return { after: add, onError: add };
}
