import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError, isAppError } from '../errors/app-error';
import { statusForKind } from '../errors/error-status';
import { errorBody, jsonResponse, type HttpResult } from './responses';

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

export function toErrorResponse(error: unknown, requestId: string): HttpResult {
  const appError = isAppError(error)
    ? error
    : isTimeout(error)
      ? new AppError('timeout', 'timeout', 'The request took too long and was abandoned')
      : undefined;
  if (appError) {
    return jsonResponse(statusForKind(appError.kind), { ...appError.details, ...errorBody(appError.code, appError.message) }, { ...appError.headers });
  }
  // Unexpected failures never echo internals to the caller; the request observer logs them with
  // their cause under the same request id (functions/observability/request-observer.ts).
  return jsonResponse(500, errorBody('internal_error', `Internal error (request id ${requestId})`));
}

/** Outermost middleware: every failure leaves as `{"error":{"code","message"}}`. */
export function errorResponses(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId ?? 'unknown';
      const response = toErrorResponse(request.error, requestId);
      response.headers['x-request-id'] = requestId;
      request.response = response;
    },
  };
}
