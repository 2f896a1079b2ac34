import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError } from '../errors/app-error';
import type { RouteSpec } from '../routes/route-table';
import { bodyByteLength } from './request-body';
import type { HttpResult } from './responses';

export type TooLargeMessage = (size: number, limit: number) => string;

const defaultTooLarge: TooLargeMessage = (size, limit) =>
  `The request body is ${size} bytes; this endpoint accepts at most ${limit} bytes`;

export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(2)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;

/**
 * The way past a request size limit, for a route that takes bundles: the paths that send the bytes
 * straight to storage, which no API Gateway or Lambda limit applies to. Empty for other routes
 * (prediction input has no such path). Every 413 a direct upload can meet ends with it, whichever
 * limit it met: MLHub's own, one Lambda invocation's, or API Gateway's.
 */
export function wayOutForLargeBodies(route: Pick<RouteSpec, 'body'> | undefined): string {
  return route?.body === 'bundle'
    ? ' Send a bundle this large with `mlhub push`, or with the resumable upload API (POST /model/{name}/uploads), which puts it straight into storage.'
    : '';
}

/** Refuses an oversized body from its encoded length, before anything decodes or parses it. */
export function bodyLimit(route: RouteSpec, message: TooLargeMessage = defaultTooLarge): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      if (route.body === 'none') return;
      const size = bodyByteLength(request.event);
      if (size > route.bodyLimit) throw new AppError('too_large', 'payload_too_large', `${message(size, route.bodyLimit)}${wayOutForLargeBodies(route)}`);
    },
  };
}
