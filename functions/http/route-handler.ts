import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Actor } from '../identity/actor';
import { observeCaller, observeRequests } from '../observability/request-observer';
import { tableServices } from '../platform/table-services';
import { checkModelName } from '../registry/model-name';
import { parseRequestPart } from '../contracts/request-errors';
import type { RouteContract, ValidatedInput } from '../contracts/route-contract';
import { routeById, type RouteSpec } from '../routes/route-table';
import { bodyLimit, type TooLargeMessage } from './body-limit';
import { corsHeaders } from './cors';
import { checkPathIds, checkQueryEncoding, checkQueryNames, checkQueryRepeats } from './query-params';
import { errorResponses } from './error-response';
import { headResponses } from './head-response';
import { jsonBody } from './json-body';
import { rateLimit } from './rate-limit';
import { responseSizeLimit, type TooLargeAnswer } from './response-size';
import type { HttpResult } from './responses';

/**
 * A request as a handler sees it: `params`, `query` and (for JSON routes) `body` are the values
 * its contract parsed, typed by it.
 */
export interface RouteRequest<C extends RouteContract = RouteContract> extends ValidatedInput<C> {
  readonly route: RouteSpec;
  readonly event: APIGatewayProxyEventV2;
  readonly requestId: string;
  readonly actor: Actor;
  /** Lowercased names, as API Gateway's payload v2.0 delivers them. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Bundle and prediction routes: what their body parsers made of the body, or the raw body. */
  readonly rawBody: unknown;
  /** Milliseconds left before Lambda ends this invocation. */
  readonly remainingMs: () => number;
}

export interface RouteHandlerOptions {
  readonly tooLargeMessage?: TooLargeMessage;
  /**
   * Parsers for `bundle` and `predict` bodies, which may come in several forms; each parser
   * should leave alone the forms it does not read.
   */
  readonly bodyParsers?: readonly middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult>[];
  /**
   * Request headers the answer depends on (`accept` for content negotiation): named in `Vary`
   * on every answer, errors included (RFC 9110 §12.5.5), so that caches keep them apart.
   */
  readonly vary?: readonly string[];
  /** How an answer too large for Lambda could be made smaller (response-size.ts); said in its 413 response_too_large. */
  readonly tooLargeAnswer?: TooLargeAnswer;
}

const actors = new WeakMap<APIGatewayProxyEventV2, Actor>();

/** Who is calling is settled first: a 401 comes before any complaint about the request itself. */
function identifyCaller(route: RouteSpec): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const actor = await tableServices().authenticate(route, request.event.headers?.authorization);
      actors.set(request.event, actor);
      observeCaller(actor);
    },
  };
}

/** Adds `names` to every answer's `Vary`, keeping the names it holds. */
function varyHeaders(names: readonly string[]): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  const add = async (request: { response: HttpResult | null }): Promise<void> => {
    if (!request.response) return;
    const vary = request.response.headers?.vary;
    const held = new Set((vary ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean));
    const missing = names.filter((name) => !held.has(name.toLowerCase()));
    if (missing.length > 0) request.response.headers = { ...request.response.headers, vary: [vary, ...missing].filter(Boolean).join(', ') };
  };
  return { after: add, onError: add };
}

/** The model named in the path is checked before anything reads the body. */
function checkModelNameInPath(): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const name = request.event.pathParameters?.name;
      if (name !== undefined) checkModelName(name);
    },
  };
}

/** Query parameter names, repeats and encoding, and path identifiers, are checked before anything reads the body. */
function checkRequestLine(route: RouteSpec): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const requested = request.event.routeKey && request.event.routeKey !== '$default' ? request.event.routeKey : undefined;
      checkQueryNames(route, request.event.queryStringParameters ?? {}, request.event.pathParameters ?? {}, requested);
      checkQueryRepeats(request.event.rawQueryString);
      checkQueryEncoding(request.event.rawQueryString);
      checkPathIds(request.event.pathParameters ?? {});
    },
  };
}

/**
 * Wraps a route's logic in the middleware every MLHub handler shares: logs, metrics and traces
 * (functions/observability/request-observer.ts), HEAD for GET routes, CORS headers
 * (functions/http/cors.ts), JSON errors, the caller's identity, the caller's rate limit (functions/http/rate-limit.ts), the model
 * name, query parameter names and path identifiers, the route's body limit, body parsing for
 * its body kind, and Lambda's limit on the answer's size (functions/http/response-size.ts).
 */
export function routeHandler<C extends RouteContract>(contract: C, handle: (request: RouteRequest<C>) => Promise<HttpResult>, options: RouteHandlerOptions = {}) {
  const route = routeById(contract.route);
  const chain = middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
    .use(observeRequests(route.id))
    .use(headResponses())
    .use(corsHeaders())
    .use(varyHeaders(options.vary ?? []))
    .use(errorResponses())
    .use(identifyCaller(route))
    .use(rateLimit(route, (event) => actors.get(event) as Actor))
    .use(checkModelNameInPath())
    .use(checkRequestLine(route))
    .use(bodyLimit(route, options.tooLargeMessage));
  if (route.body === 'json') chain.use(jsonBody({ storable: true, otherTypes: 'refuse', optional: contract.optionalBody === true }));
  if (route.body === 'bundle' || route.body === 'predict') for (const parser of options.bodyParsers ?? []) chain.use(parser);
  // Last in, so its check runs first on the way out, on the handler's answer as given.
  chain.use(responseSizeLimit(options.tooLargeAnswer));

  return chain.handler(async (event, context) => {
    const rawParams = event.pathParameters ?? {};
    const rawQuery = event.queryStringParameters ?? {};
    const input = {
      params: contract.params ? parseRequestPart('path', contract.params, rawParams, rawParams) : rawParams,
      query: contract.query ? parseRequestPart('query', contract.query, rawQuery, rawQuery) : rawQuery,
      body: contract.body ? parseRequestPart('body', contract.body, event.body) : event.body,
    } as ValidatedInput<C>;
    if (contract.headers) parseRequestPart('header', contract.headers, event.headers ?? {}, event.headers ?? {});
    const response = await handle({
      ...input,
      route,
      event,
      requestId: event.requestContext.requestId,
      actor: actors.get(event) as Actor,
      headers: event.headers ?? {},
      rawBody: event.body,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
    response.headers['x-request-id'] = event.requestContext.requestId;
    return response;
  });
}
