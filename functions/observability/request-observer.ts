import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { isAppError } from '../errors/app-error';
import type { HttpResult } from '../http/responses';
import type { Actor } from '../identity/actor';
import { logger } from './logger';
import { DIMENSION, METRIC, metrics } from './metrics';
import { startTracing } from './tracing';

type Observed = MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, Context>;

/** The code an error answer carries (`{"error":{"code"}}`), read from the error when there is one. */
function errorCodeOf(error: unknown, response: HttpResult | null | undefined): string | undefined {
  if (isAppError(error)) return error.code;
  try {
    const code = (JSON.parse(response?.body ?? '') as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The middleware that observes each request to a route, outermost in routeHandler's chain so
 * that it sees the final answer, error answers included:
 *
 * - Powertools' logger context (cold start, function name and request id), with the keys
 *   `correlation_id` (API Gateway's request id, which the caller gets as `x-request-id`) and
 *   `route_id` on every entry, and `user_id` once the caller is known (observeCaller); the keys
 *   are cleared after the invocation. Headers and bodies are never logged.
 * - One EMF document per invocation (namespace MLHub, dimensions service and route_id): Requests,
 *   4xx, 5xx and Latency (metrics.ts).
 * - Every 5xx answer is logged at ERROR with its status, error code and cause: `unhandled error`
 *   for a 500 (internal_error), `request failed` for a handled 502, 503 or 504. Other answers get
 *   a DEBUG entry (`request answered`), seen with POWERTOOLS_LOG_LEVEL=DEBUG.
 * - Tracing starts on a sampled invocation (tracing.ts).
 */
export function observeRequests(routeId: string): Observed[] {
  const started = new WeakMap<object, number>();
  const observer: Observed = {
    before: async (request) => {
      started.set(request.event, performance.now());
      logger.appendKeys({ route_id: routeId });
      logger.setCorrelationId(request.event.requestContext?.requestId);
      metrics.addDimension(DIMENSION.routeId, routeId);
      await startTracing();
    },
    after: async (request) => record(request.response, undefined, started.get(request.event)),
    onError: async (request) => record(request.response, request.error, started.get(request.event)),
  };
  return [injectLambdaContext(logger, { resetKeys: true }) as Observed, logMetrics(metrics) as Observed, observer];
}

function record(response: HttpResult | null | undefined, error: unknown, startedAt: number | undefined): void {
  const status = response?.statusCode ?? 500;
  const latencyMs = startedAt === undefined ? 0 : performance.now() - startedAt;
  metrics.addMetric(METRIC.requests, MetricUnit.Count, 1);
  metrics.addMetric(METRIC.clientErrors, MetricUnit.Count, status >= 400 && status < 500 ? 1 : 0);
  metrics.addMetric(METRIC.serverErrors, MetricUnit.Count, status >= 500 ? 1 : 0);
  metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, latencyMs);
  const details = { status, latency_ms: Math.round(latencyMs * 10) / 10 };
  if (status < 500) {
    logger.debug('request answered', details);
    return;
  }
  const errorCode = errorCodeOf(error, response);
  logger.error(errorCode === 'internal_error' ? 'unhandled error' : 'request failed', {
    ...details,
    ...(errorCode ? { error_code: errorCode } : {}),
    ...(error ? { error } : {}),
  });
}

/** Adds the caller to this invocation's log entries: their user id and how they signed in, never their credential. */
export function observeCaller(actor: Actor): void {
  logger.appendKeys({ user_id: actor.anonymous ? undefined : actor.id, credential: actor.credential });
}
