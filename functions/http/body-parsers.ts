import httpMultipartBodyParser from '@middy/http-multipart-body-parser';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { jsonBody } from './json-body';
import { parseMediaType } from './request-body';
import type { HttpResult } from './responses';

type BodyParser = MiddlewareObj<APIGatewayProxyEventV2, HttpResult>;

/**
 * Parses multipart/form-data bodies and leaves others alone. Middy's parser recognises only the
 * exact spelling `multipart/form-data; boundary=…`, so the header is first rewritten in that
 * form from parseMediaType's reading (`Multipart/Form-Data ; boundary="x"` is the same type).
 * Middy types this middleware for REST API (v1) events; it reads only the headers and body
 * that v2 events share.
 */
export function multipartForms(): BodyParser {
  const middy = httpMultipartBodyParser({ disableContentTypeError: true }) as unknown as BodyParser;
  return {
    before: async (request) => {
      const headers = request.event.headers ?? {};
      const { type, parameters } = parseMediaType(headers['content-type']);
      if (type !== 'multipart/form-data') return;
      if (parameters.boundary !== undefined) {
        headers['content-type'] = `multipart/form-data; boundary=${parameters.boundary}${parameters.charset ? `; charset=${parameters.charset}` : ''}`;
      }
      return middy.before?.(request);
    },
  };
}

/** Parses JSON bodies and leaves others (images, forms) alone: functions/http/json-body.ts. */
export const jsonDocuments = (): BodyParser => jsonBody({ storable: false, otherTypes: 'pass' });
