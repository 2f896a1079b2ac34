import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { jsonBody } from './json-body';
import { parseMultipartForm } from './multipart-form';
import { bodyBytes, parseMediaType } from './request-body';
import type { HttpResult } from './responses';

type BodyParser = MiddlewareObj<APIGatewayProxyEventV2, HttpResult>;

/**
 * Parses multipart/form-data bodies (functions/http/multipart-form.ts) into the form's fields and
 * leaves others alone. The content type is matched as parseMediaType reads it, in any case and
 * spacing; the parser reads the boundary from the header itself, quoted or not.
 */
export function multipartForms(): BodyParser {
  return {
    before: async (request) => {
      const contentType = request.event.headers?.['content-type'];
      if (parseMediaType(contentType).type !== 'multipart/form-data') return;
      (request.event as { body?: unknown }).body = await parseMultipartForm(bodyBytes(request.event), contentType ?? '');
    },
  };
}

/** Parses JSON bodies and leaves others (images, forms) alone: functions/http/json-body.ts. */
export const jsonDocuments = (): BodyParser => jsonBody({ storable: false, otherTypes: 'pass' });
