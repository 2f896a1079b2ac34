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
  // The latest version, when a prediction ran on an earlier one in service (predict-model.ts).
  'x-mlhub-latest-version',
  'ratelimit', 'ratelimit-policy',
  // Why a token was refused (RFC 6750 §3): browser code reads it to tell an expired token from a missing one.
  'www-authenticate',
];

/** How long a browser may reuse a preflight's answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 3600;

/** Loopback hosts a development server may listen on over http (WHATWG URL serializes them so). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why a configured origin would never match a browser's `Origin` header, or undefined when it is
 * one: an origin is scheme, host and port only, serialized as browsers send it (WHATWG URL,
 * "origin": lowercase host, no default port, no trailing slash), over https, or over http on a
 * loopback host (localhost, 127.0.0.1, [::1]) for development. A near miss is told the origin to
 * write instead.
 */
export function originProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `'${text}' is not an origin such as https://app.example.org`;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) {
    return `'${text}' must be an https origin such as https://app.example.org, or http on localhost, 127.0.0.1 or [::1]`;
  }
  if (url.origin !== text) {
    // A path, query or fragment is never part of an Origin header; case and a default port are serialized away.
    const extra = url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' ? ' (an origin has no path, query or credentials)' : '';
    return `'${text}' is not written as browsers send it${extra}: write ${url.origin}`;
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
 * `headers` with the CORS headers for `origin` added, unless they hold them already (a
 * preflight's answer, or one a handler made): whichever layer answers (a handler, the fallback,
 * the local gateway) can call it, and calling it twice changes nothing. A `Vary` already there
 * keeps its names.
 */
export function withCorsHeaders<V>(headers: Readonly<Record<string, V>> | undefined, origins: readonly string[], origin: string | undefined): Record<string, V | string> {
  const cors = corsResponseHeaders(origins, origin);
  const vary = headers?.vary === undefined ? undefined : String(headers.vary);
  if (cors.vary === undefined) return { ...headers };
  if (vary !== undefined && vary.split(',').some((name) => name.trim().toLowerCase() === 'origin')) return { ...headers };
  if (vary) cors.vary = `${vary}, ${cors.vary}`;
  return { ...headers, ...cors };
}

/**
 * Adds the CORS headers for the request's `Origin` to every answer, errors and a 404 to an
 * OPTIONS included; a preflight's answer keeps those it has. Use it before the error formatter,
 * so that it sees the final answer.
 */
export function corsHeaders(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  const add = async (request: { event: APIGatewayProxyEventV2; response: HttpResult | null }): Promise<void> => {
    if (!request.response) return;
    request.response.headers = withCorsHeaders(request.response.headers, loadCorsOrigins(), headerOf(request.event, 'origin'));
  };
  return { after: add, onError: add };
}
