import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AppError } from '../errors/app-error';
import { corsHeaders, isPreflight, loadCorsOrigins, preflightResponse } from '../http/cors';
import { errorResponses } from '../http/error-response';
import { headResponses } from '../http/head-response';
import type { HttpResult } from '../http/responses';
import { observeRequests } from '../observability/request-observer';
import { matchRoute } from '../routes/match-route';
import { ROUTES } from '../routes/route-table';

/** Tells a wrong method on a known path (405, with Allow) from a path MLHub does not serve (404). */
export function notRoutedError(method: string, rawPath: string): AppError {
  const match = matchRoute(ROUTES, method, rawPath);
  if (match.kind === 'wrong_method') {
    const allow = match.allowed.join(', ');
    return new AppError('method_not_allowed', 'method_not_allowed', `${method} is not supported on ${rawPath}; use ${allow}`, { headers: { allow } });
  }
  return new AppError('not_found', 'route_not_found', `No endpoint at ${method} ${rawPath}; see the API table in the README`);
}

/**
 * OPTIONS on a path MLHub serves (RFC 9110 §9.3.7): a CORS preflight gets the CORS policy for
 * the path's methods (functions/http/cors.ts), any other OPTIONS the methods in Allow. Undefined
 * for a path MLHub does not serve, which stays a 404.
 */
function optionsResponse(event: APIGatewayProxyEventV2): HttpResult | undefined {
  const match = matchRoute(ROUTES, 'OPTIONS', event.rawPath);
  if (match.kind !== 'wrong_method') return undefined;
  if (isPreflight(event)) return preflightResponse(loadCorsOrigins(), event.headers?.origin, match.allowed);
  return { statusCode: 204, headers: { allow: [...match.allowed, 'OPTIONS'].join(', ') }, body: '' };
}

/**
 * What no route takes: the `ANY <path>`, `OPTIONS <path>` and `$default` routes of the HTTP API.
 * Observed like a route, under the id `notRouted`: its 404s and 405s are counted too.
 */
export const handler = middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
  .use(observeRequests('notRouted'))
  .use(headResponses())
  .use(corsHeaders())
  .use(errorResponses())
  .handler(async (event) => {
    const method = event.requestContext.http.method;
    const options = method === 'OPTIONS' ? optionsResponse(event) : undefined;
    if (options) {
      options.headers['x-request-id'] = event.requestContext.requestId;
      return options;
    }
    throw notRoutedError(method, event.rawPath);
  });
