import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { rateLimiter } from '../platform/rate-limit-services';
import { rateClassOf, requestRateClass } from '../rate-limits/rate-classes';
import { rateLimitHeaders, rateLimitMessage } from '../rate-limits/rate-limit-headers';
import type { RouteSpec } from '../routes/route-table';
import type { HttpResult } from './responses';

/**
 * Who a request is counted against: the signed-in user, else the address it came from (API
 * Gateway's `requestContext.http.sourceIp`, which a client cannot set).
 */
export function principalOf(actor: Actor, event: APIGatewayProxyEventV2): string {
  return actor.anonymous ? `ip#${event.requestContext?.http?.sourceIp ?? 'unknown'}` : `user#${actor.id}`;
}

/**
 * Counts the request against the caller's allowance for the route's class of requests, or for
 * its anonymous variant when the caller has no token and the policy sets one (`predict-anonymous`,
 * functions/rate-limits/rate-classes.ts): over it, a 429 `rate_limited` with Retry-After; within it, the
 * RateLimit fields on the answer. Runs once the caller is known and before the body is read.
 * Routes of no class (the health check) and deployments without limits are not counted.
 */
export function rateLimit(route: RouteSpec, actorOf: (event: APIGatewayProxyEventV2) => Actor): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  const rateClass = rateClassOf(route.id);
  const granted = new WeakMap<APIGatewayProxyEventV2, Record<string, string>>();
  return {
    before: async (request) => {
      const limiter = rateClass ? rateLimiter() : undefined;
      if (!rateClass || !limiter) return;
      const actor = actorOf(request.event);
      const counted = requestRateClass(rateClass, actor.anonymous, (variant) => limiter.limits(variant));
      const verdict = await limiter.check(principalOf(actor, request.event), counted);
      if (!verdict) return;
      if (!verdict.allowed) throw new AppError('too_many_requests', 'rate_limited', rateLimitMessage(verdict), { headers: rateLimitHeaders(verdict) });
      granted.set(request.event, rateLimitHeaders(verdict));
    },
    after: async (request) => {
      const headers = granted.get(request.event);
      if (headers && request.response) request.response.headers = { ...request.response.headers, ...headers };
    },
  };
}
