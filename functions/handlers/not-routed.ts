import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AppError } from '../errors/app-error';
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

/** Observed like a route, under the id `notRouted`: its 404s and 405s are counted too. */
export const handler = middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
  .use(observeRequests('notRouted'))
  .use(headResponses())
  .use(errorResponses())
  .handler(async (event) => {
    throw notRoutedError(event.requestContext.http.method, event.rawPath);
  });
