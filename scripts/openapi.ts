import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import * as z from 'zod/mini';
import packageJson from '../package.json' with { type: 'json' };
import { contractOf } from '../functions/contracts/route-contracts';
import type { ResponseContract, RouteContract } from '../functions/contracts/route-contract';
import { errorBody } from '../functions/contracts/views';
import { catalogueEntry, type ErrorCode } from '../functions/errors/error-catalogue';
import { statusForKind } from '../functions/errors/error-status';
import { formatBytes } from '../functions/http/body-limit';
import { ROUTES, type RouteSpec } from '../functions/routes/route-table';

/** Where the document is written; the getOpenApi handler serves this file as it is. */
export const OPENAPI_FILE = fileURLToPath(new URL('../functions/contracts/openapi.json', import.meta.url));

const AUTH_TEXT: Record<RouteSpec['auth'], string> = {
  none: 'No sign-in needed.',
  optional: 'Anonymous callers are served what is public; signed-in callers also see what they own or was shared with them.',
  required: 'Needs a signed-in caller: a token from the deployment\'s OIDC issuer (a Cognito ID token unless the stack option oidcTokenUse says otherwise) or a personal access token.',
  session: 'Needs a signed-in session (a token from the deployment\'s OIDC issuer, a Cognito ID token by default); personal access tokens are refused.',
};

/**
 * OpenAPI 3.1 §4.8.30: for schemes other than OAuth2 and OpenID Connect, a security requirement's
 * list holds the roles needed. MLHub's roles are the personal access token scopes.
 */
function security(route: RouteSpec, contract: RouteContract): Record<string, string[]>[] {
  if (route.auth === 'none') return [];
  const requirement = { bearer: [route.scope] };
  return route.auth === 'optional' || contract.alsoAnonymous ? [{}, requirement] : [requirement];
}

/** A body's schema by media type: a multipart form names its file field, other bytes are opaque. */
function mediaSchema(type: string, formField: string | undefined) {
  if (type === 'application/json') return z.unknown();
  if (type === 'multipart/form-data' && formField) {
    return { type: 'object', properties: { [formField]: { type: 'string', contentMediaType: 'application/octet-stream' } }, required: [formField] };
  }
  return { type: 'string', contentMediaType: type };
}

const tagOf = (route: RouteSpec): string =>
  route.path.startsWith('/tokens') || route.path === '/me' ? 'Identity'
    : route.path.includes('/access') ? 'Access'
      : route.path.includes('/predict') ? 'Predictions'
        : route.path.includes('/upload') || route.path.includes('/versions') || route.path.includes('/download') ? 'Versions'
          : route.path.startsWith('/model') ? 'Models' : 'Service';

/** What a 429 carries (functions/rate-limits/rate-limit-headers.ts; draft-ietf-httpapi-ratelimit-headers). */
const RATE_LIMIT_HEADERS = {
  'retry-after': { description: 'Seconds until the caller\'s window for this class of requests starts again (RFC 9110 §10.2.3)', schema: { type: 'string' } },
  ratelimit: { description: 'The allowance left in the current window: `"<class>";r=<remaining>;t=<seconds to reset>`', schema: { type: 'string' } },
  'ratelimit-policy': { description: 'The limit of the class: `"<class>";q=<requests>;w=<window seconds>`', schema: { type: 'string' } },
} as const;

/** What a 503 may carry when the failure is passing (identity_unavailable, predict_function_busy). */
const UNAVAILABLE_HEADERS = {
  'retry-after': { description: 'Seconds to wait before retrying, when the failure is a passing one (RFC 9110 §10.2.3)', schema: { type: 'string' } },
} as const;

/** The error answers a route may give, one per status, with the codes that status carries. */
function errorResponses(codes: readonly ErrorCode[]): ZodOpenApiResponsesObject {
  const byStatus = new Map<number, string[]>();
  for (const code of new Set(codes)) {
    const entry = catalogueEntry(code);
    if (!entry) throw new Error(`Error code '${code}' is not in the catalogue (functions/errors/error-catalogue.ts)`);
    const status = statusForKind(entry.kind);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, list]) => [String(status), {
    description: list.map((code) => `\`${code}\`: ${catalogueEntry(code)?.description ?? ''}`).join('\n\n'),
    ...(status === 429 ? { headers: RATE_LIMIT_HEADERS } : status === 503 ? { headers: UNAVAILABLE_HEADERS } : {}),
    content: { 'application/json': { schema: errorBody } },
  }]));
}

/** The non-JSON media types an answer may come in, without their parameters (OpenAPI keys media types by type). */
const mediaTypesOf = (answer: ResponseContract): string[] =>
  [...new Set((typeof answer.contentType === 'string' ? [answer.contentType] : answer.contentType ?? []).map((mediaType) => mediaType.split(';')[0]?.trim() ?? mediaType))];

function operation(route: RouteSpec, contract: RouteContract): ZodOpenApiOperationObject {
  const responses: Record<string, ZodOpenApiResponseObject> = { ...errorResponses(contract.errors) } as Record<string, ZodOpenApiResponseObject>;
  for (const [status, answer] of Object.entries(contract.responses)) {
    responses[status] = {
      description: answer.description,
      ...(answer.headers ? { headers: Object.fromEntries(Object.entries(answer.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
      ...(answer.body || answer.contentType ? {
        content: {
          ...Object.fromEntries(mediaTypesOf(answer).map((mediaType) => [mediaType, { schema: { type: 'string', contentMediaType: mediaType } }])),
          ...(answer.body ? { 'application/json': { schema: answer.body } } : {}),
        },
      } : {}),
    };
  }
  // Error pages (a tombstone to a browser): the JSON error's status gets the page's media type too.
  for (const code of contract.errorPages?.codes ?? []) {
    const entry = catalogueEntry(code);
    const answer = entry ? responses[String(statusForKind(entry.kind))] : undefined;
    if (!answer || !contract.errorPages) throw new Error(`${route.id}: error page code '${code}' is not among its errors`);
    const mediaType = contract.errorPages.contentType;
    if (answer.content && !(mediaType in answer.content)) {
      answer.content = { ...answer.content, [mediaType]: { schema: { type: 'string', contentMediaType: mediaType } } };
      answer.description = `${answer.description}\n\n${contract.errorPages.description}`;
    }
  }
  const limit = route.bodyLimit > 0 ? ` Bodies up to ${formatBytes(route.bodyLimit)} (${route.bodyLimit} bytes); larger ones get 413.` : '';
  const head = route.method === 'GET' ? ' HEAD is answered too, with the same status and headers and no body.' : '';
  return {
    operationId: route.id,
    summary: route.summary,
    description: `${AUTH_TEXT[route.auth]}${contract.alsoAnonymous ? ` ${contract.alsoAnonymous}` : ''}${limit}${head}`,
    tags: [tagOf(route)],
    security: security(route, contract),
    ...(contract.params || contract.query || contract.headers ? {
      requestParams: {
        ...(contract.params ? { path: contract.params } : {}),
        ...(contract.query ? { query: contract.query } : {}),
        ...(contract.headers ? { header: contract.headers } : {}),
      },
    } : {}),
    ...(contract.body || contract.requestBody ? {
      requestBody: {
        ...(contract.requestBody ? { description: contract.requestBody.description } : {}),
        required: contract.requestBody?.required ?? contract.optionalBody !== true,
        content: {
          ...(contract.body ? { 'application/json': { schema: contract.body } } : {}),
          ...Object.fromEntries((contract.requestBody?.mediaTypes ?? [])
            .filter((type) => !(contract.body && type === 'application/json'))
            .map((type) => [type, { schema: mediaSchema(type, contract.requestBody?.formField) }])),
        },
      },
    } : {}),
    ...(route.bodyLimit > 0 ? { 'x-mlhub-body-limit': route.bodyLimit } : {}),
    responses,
  };
}

/** MLHub's API as an OpenAPI 3.1 document, from the route table and every route's contract. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES) {
    const contract = contractOf(route.id);
    const item = (paths[route.path] ??= {});
    (item as Record<string, ZodOpenApiOperationObject>)[route.method.toLowerCase()] = operation(route, contract);
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'MLHub',
      version: packageJson.version,
      description: 'Upload, version, share and run trained ML models. Every error is `{"error": {"code", "message"}}`; the codes are listed per status on each operation.',
    },
    servers: [{ url: '/', description: 'The deployment that serves this document' }],
    tags: ['Service', 'Models', 'Versions', 'Predictions', 'Access', 'Identity'].map((name) => ({ name })),
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: "A token from the deployment's OIDC issuer (a session: a Cognito ID token unless the stack option oidcTokenUse says otherwise), or a personal access token from POST /tokens. Roles: `read` or `write`, the personal access token scopes; a session has both.",
        },
      },
    },
    paths,
  });
}

/** The document as the committed file holds it. */
export const openApiText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_FILE, openApiText());
  console.log(`Wrote ${OPENAPI_FILE}`);
}
