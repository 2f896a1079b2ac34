import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpMultipartBodyParser from '@middy/http-multipart-body-parser';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResult } from './responses';

type BodyParser = MiddlewareObj<APIGatewayProxyEventV2, HttpResult>;

/**
 * Parses multipart/form-data bodies and leaves others alone. Middy types this middleware for
 * REST API (v1) events; it reads only the headers and body that v2 events share.
 */
export const multipartForms = (): BodyParser => httpMultipartBodyParser({ disableContentTypeError: true }) as unknown as BodyParser;

/** Parses JSON bodies and leaves others (images, forms) alone. */
export const jsonDocuments = (): BodyParser => httpJsonBodyParser({ disableContentTypeError: true }) as unknown as BodyParser;
