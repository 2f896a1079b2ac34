/**
 * The one list of MLHub's HTTP endpoints. The local gateway serves from it, the CDK stack builds
 * one API Gateway route and one Lambda function per entry, and the tests enumerate it. Nothing
 * else lists routes.
 */

import { SEARCH_PARAMETERS } from '../search/search-parameters';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/**
 * - `none`: anyone, no identity needed (health).
 * - `optional`: anonymous callers allowed; what they see depends on who they are.
 * - `required`: the caller must be signed in, with a session or a personal access token.
 * - `session`: the caller must be signed in with a session; personal access tokens are refused
 *   (a token cannot mint or revoke tokens).
 */
export type AuthMode = 'none' | 'optional' | 'required' | 'session';

/** What a personal access token needs to call the route: `read` tokens may only read. */
export type TokenScope = 'read' | 'write';

/**
 * How a handler reads its request body: not at all, as JSON, as a bundle (raw or a multipart
 * `file`), or as prediction input (JSON, an image, or a multipart `image`).
 */
export type BodyKind = 'none' | 'json' | 'bundle' | 'predict';

export interface RouteSpec extends RouteDefinition {
  /** Stable identifier: names the Lambda function and the OpenAPI operation. */
  readonly id: string;
}

/** A route as the table writes it, under its id. */
export interface RouteDefinition {
  /** A GET route also answers HEAD (RFC 9110 §9.3.2): the same status and headers, no body. */
  readonly method: HttpMethod;
  /** API Gateway path syntax: `{param}` matches one path segment. */
  readonly path: string;
  /** Module under `functions/handlers/` exporting `handler`. */
  readonly handler: string;
  readonly auth: AuthMode;
  readonly scope: TokenScope;
  readonly body: BodyKind;
  /** Largest request body accepted, in bytes (0: no body expected). */
  readonly bodyLimit: number;
  readonly memoryMb: number;
  /** At most MAX_ROUTE_TIMEOUT_SECONDS (lib/functions/route-runtime.ts refuses more). */
  readonly timeoutSeconds: number;
  readonly summary: string;
  /**
   * The query parameters the handler reads. Any other is refused with a 400 that names it, so
   * that a typo such as `?verison=2` never silently falls back to a default.
   */
  readonly query: readonly string[];
  /**
   * Query parameters that belong to another route, with what to send instead: a message in
   * which `{name}` and `{value}` stand for the path's model name and the parameter's value.
   */
  readonly misplacedQuery?: Readonly<Record<string, string>>;
}

/** API Gateway's own cap on a request, whatever the route. */
export const API_GATEWAY_REQUEST_LIMIT = 10 * 1024 * 1024;

/** Lambda's cap on a synchronous invocation's event (and its response). */
export const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/** Room left in the event for headers, request context and JSON framing around the body. */
const EVENT_ENVELOPE_ALLOWANCE = 64 * 1024;

/**
 * The largest binary body one Lambda invocation can carry: API Gateway base64-encodes binary
 * bodies, so 3 bytes cost 4 characters of the 6 MB event.
 */
export const LAMBDA_BINARY_BODY_LIMIT = Math.floor(((LAMBDA_PAYLOAD_LIMIT - EVENT_ENVELOPE_ALLOWANCE) * 3) / 4);

/** Metadata documents stay well inside DynamoDB's 400 KB item. */
export const JSON_BODY_LIMIT = 256 * 1024;

/** API Gateway HTTP APIs give an integration at most 30 s, then answer 503 themselves. */
export const API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 30;

/**
 * A route function's longest timeout: 2 s under the API's limit, for the cold start's init, which
 * Lambda does not count in the function's timeout but the gateway does, so the caller gets
 * MLHub's JSON rather than the gateway's 503.
 */
export const MAX_ROUTE_TIMEOUT_SECONDS = API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS - 2;

const metadataRoute = { memoryMb: 512, timeoutSeconds: 10 } as const;
/** ONNX Runtime wants memory (and the CPU Lambda gives with it); remote backends want time. */
const predictRoute = { memoryMb: 2048, timeoutSeconds: MAX_ROUTE_TIMEOUT_SECONDS } as const;

/**
 * Every route by its id, which names its Lambda function and its OpenAPI operation. Keyed so
 * that a route id is a type (RouteId): the tables kept per route elsewhere (its IAM, its upload
 * settings, its contract) are `Record<RouteId, …>` and fail to compile when one lacks an entry.
 */
export const ROUTE_DEFINITIONS = {
  getStatus: {
    method: 'GET', path: '/status', handler: 'get-status', query: [],
    scope: 'read', auth: 'none', body: 'none', bodyLimit: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Service health and the state of its stores',
  },
  getOpenApi: {
    method: 'GET', path: '/openapi.json', handler: 'get-openapi', query: [],
    scope: 'read', auth: 'none', body: 'none', bodyLimit: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'This API described in OpenAPI 3.1, generated from the route contracts',
  },
  listModels: {
    method: 'GET', path: '/models', handler: 'list-models', query: ['limit', 'cursor', 'mine', ...SEARCH_PARAMETERS],
    scope: 'read', auth: 'optional', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'List models, newest first (limit, cursor); or search them (q, filters, sort) with facets',
  },
  createModel: {
    method: 'POST', path: '/model/{name}', handler: 'create-model', query: [],
    // A metadata function, with the predict route's timeout: it waits for the predict function
    // on the seed's image forms (functions/handlers/create-model.ts).
    scope: 'write', auth: 'required', body: 'json', bodyLimit: JSON_BODY_LIMIT, memoryMb: metadataRoute.memoryMb, timeoutSeconds: predictRoute.timeoutSeconds,
    summary: "Create a model record (an image form posted here is a prediction, as in the seed)",
  },
  getModel: {
    method: 'GET', path: '/model/{name}', handler: 'get-model', query: [],
    scope: 'read', auth: 'optional', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Read a model record with its versions',
  },
  updateModel: {
    method: 'PUT', path: '/model/{name}', handler: 'update-model', query: [],
    scope: 'write', auth: 'required', body: 'json', bodyLimit: JSON_BODY_LIMIT, ...metadataRoute,
    summary: 'Update a model record (If-Match for optimistic locking)',
  },
  deleteModel: {
    method: 'DELETE', path: '/model/{name}', handler: 'delete-model', query: ['reason'],
    misplacedQuery: { version: 'To delete one version, send DELETE /model/{name}/versions/{value}; DELETE /model/{name} deletes the whole model' },
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, memoryMb: 512, timeoutSeconds: 28,
    summary: 'Delete a model record and all its bundles',
  },
  uploadBundle: {
    method: 'POST', path: '/model/{name}/upload', handler: 'upload-bundle', query: [],
    scope: 'write', auth: 'required', body: 'bundle', bodyLimit: LAMBDA_BINARY_BODY_LIMIT, memoryMb: 1024, timeoutSeconds: 28,
    summary: 'Upload a .tar.gz bundle as a new version',
  },
  downloadBundle: {
    method: 'GET', path: '/model/{name}/download', handler: 'download-bundle', query: ['version', 'redirect'],
    scope: 'read', auth: 'optional', body: 'none', bodyLimit: 0, memoryMb: 1024, timeoutSeconds: 28,
    summary: 'Download the bundle of the latest (or ?version=N) version',
  },
  createUpload: {
    method: 'POST', path: '/model/{name}/uploads', handler: 'create-upload', query: [],
    scope: 'write', auth: 'required', body: 'json', bodyLimit: 16 * 1024, ...metadataRoute,
    summary: 'Start a resumable upload {size, sha256?, filename?}: presigned PUT or part URLs',
  },
  listUploads: {
    method: 'GET', path: '/model/{name}/uploads', handler: 'list-uploads', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: "A model's open uploads, to resume one",
  },
  getUpload: {
    method: 'GET', path: '/model/{name}/uploads/{id}', handler: 'get-upload', query: ['parts'],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Parts received so far, and fresh URLs (?parts=N-M) to resume',
  },
  completeUpload: {
    method: 'POST', path: '/model/{name}/uploads/{id}/complete', handler: 'complete-upload', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, memoryMb: 2048, timeoutSeconds: 28,
    summary: 'Assemble the parts and check the bundle: 200 ready, 202 still checking, 400 refused',
  },
  abortUpload: {
    method: 'DELETE', path: '/model/{name}/uploads/{id}', handler: 'abort-upload', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Abort an upload: its parts and pending version go',
  },
  getVersion: {
    method: 'GET', path: '/model/{name}/versions/{n}', handler: 'get-version', query: [],
    scope: 'read', auth: 'optional', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Read one version: pending, ready or rejected; 410 Gone with what happened once it was deleted or aborted',
  },
  citeModel: {
    method: 'GET', path: '/model/{name}/cite', handler: 'cite-model', query: ['format', 'version', 'style'],
    // citation-js compiles its styles when the function starts (functions/handlers/cite-model.ts):
    // memory buys the CPU that keeps that cold start short.
    scope: 'read', auth: 'optional', body: 'none', bodyLimit: 0, memoryMb: 1024, timeoutSeconds: metadataRoute.timeoutSeconds,
    summary: 'Cite a model or a version: BibTeX, BibLaTeX, RIS, CSL-JSON, CITATION.cff, DataCite JSON, CodeMeta, or text/HTML in APA, Chicago, Harvard, Vancouver or IEEE',
  },
  publishVersion: {
    method: 'POST', path: '/model/{name}/versions/{n}/publish', handler: 'publish-version', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Publish a version with a DOI (owner only): freezes its metadata, makes the model public, registers a version DOI and the concept DOI',
  },
  deployVersion: {
    method: 'POST', path: '/model/{name}/versions/{n}/deploy', handler: 'deploy-version', query: [],
    scope: 'write', auth: 'required', body: 'json', bodyLimit: 16 * 1024, ...metadataRoute,
    summary: 'Deploy a version to its own SageMaker serverless endpoint (owner only; {memory_mb, max_concurrency} optional); predictions then run there',
  },
  getDeployment: {
    method: 'GET', path: '/model/{name}/versions/{n}/deploy', handler: 'get-deployment', query: [],
    scope: 'read', auth: 'optional', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: "A version's deployment: creating, in_service, failed (with SageMaker's reason) or deleting, and its endpoint",
  },
  undeployVersion: {
    method: 'DELETE', path: '/model/{name}/versions/{n}/deploy', handler: 'undeploy-version', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: "Tear down a version's endpoint (owner only); predictions go back to the model's other backend, if any",
  },
  deleteVersion: {
    method: 'DELETE', path: '/model/{name}/versions/{n}', handler: 'delete-version', query: ['reason'],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, memoryMb: 512, timeoutSeconds: 28,
    summary: 'Delete one version (owner only): its bytes go, its number is never reused, and it answers 410 from then on',
  },
  predictModel: {
    method: 'POST', path: '/model/{name}/predict', handler: 'predict-model', query: ['version'],
    scope: 'read', auth: 'optional', body: 'predict', bodyLimit: LAMBDA_BINARY_BODY_LIMIT, ...predictRoute,
    summary: 'Predict: JSON input (one vector, a batch, or named inputs) or an image (?version=N)',
  },
  predictModelWithGet: {
    method: 'GET', path: '/model/{name}/predict', handler: 'predict-model', query: ['version'],
    scope: 'read', auth: 'optional', body: 'predict', bodyLimit: LAMBDA_BINARY_BODY_LIMIT, ...predictRoute,
    summary: "Predict with a JSON body on GET, as the seed's curl does (prefer POST)",
  },
  getAccess: {
    method: 'GET', path: '/model/{name}/access', handler: 'get-access', query: [],
    scope: 'read', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: "Read a model's privacy settings: visibility and grants (owner and writers)",
  },
  putAccess: {
    method: 'PUT', path: '/model/{name}/access', handler: 'put-access', query: [],
    scope: 'write', auth: 'required', body: 'json', bodyLimit: JSON_BODY_LIMIT, ...metadataRoute,
    summary: "Change a model's visibility and grants (owner only)",
  },
  createToken: {
    method: 'POST', path: '/tokens', handler: 'create-token', query: [],
    scope: 'write', auth: 'session', body: 'json', bodyLimit: 16 * 1024, ...metadataRoute,
    summary: 'Create a personal access token (shown once)',
  },
  listTokens: {
    method: 'GET', path: '/tokens', handler: 'list-tokens', query: [],
    scope: 'read', auth: 'session', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'List your personal access tokens (never their secrets)',
  },
  deleteToken: {
    method: 'DELETE', path: '/tokens/{id}', handler: 'delete-token', query: [],
    scope: 'write', auth: 'session', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Revoke a personal access token',
  },
  getMe: {
    method: 'GET', path: '/me', handler: 'get-me', query: [],
    scope: 'read', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: "Who you are: your user id (others share models with you by it), how you signed in, and your token's scope",
  },
  createDataset: {
    method: 'POST', path: '/datasets', handler: 'create-dataset', query: [],
    scope: 'write', auth: 'required', body: 'json', bodyLimit: 16 * 1024, ...metadataRoute,
    summary: 'Create a dataset {filename, size, sha256?, format?, visibility?} and start its upload: presigned PUT or part URLs',
  },
  listDatasets: {
    method: 'GET', path: '/datasets', handler: 'list-datasets', query: ['limit', 'cursor'],
    scope: 'read', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'List your datasets, newest first (limit, cursor)',
  },
  getDataset: {
    method: 'GET', path: '/datasets/{id}', handler: 'get-dataset', query: [],
    scope: 'read', auth: 'optional', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Read a dataset: pending, ready (schema, row_count), rejected (reason) or aborted',
  },
  deleteDataset: {
    method: 'DELETE', path: '/datasets/{id}', handler: 'delete-dataset', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, memoryMb: 512, timeoutSeconds: 28,
    summary: 'Delete a dataset (owner only): its record and all its objects',
  },
  getDatasetUpload: {
    method: 'GET', path: '/datasets/{id}/uploads/{upload}', handler: 'get-dataset-upload', query: ['parts'],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: "A dataset upload's parts received so far, and fresh URLs (?parts=N-M) to resume",
  },
  completeDatasetUpload: {
    method: 'POST', path: '/datasets/{id}/uploads/{upload}/complete', handler: 'complete-dataset-upload', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, memoryMb: 2048, timeoutSeconds: 28,
    summary: 'Assemble the parts and inspect the dataset: 200 ready, 202 still inspecting, 400 refused',
  },
  abortDatasetUpload: {
    method: 'DELETE', path: '/datasets/{id}/uploads/{upload}', handler: 'abort-dataset-upload', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Abort a dataset upload: its parts go and the dataset is aborted',
  },
  createJob: {
    method: 'POST', path: '/model/{name}/jobs', handler: 'create-job', query: [],
    scope: 'write', auth: 'required', body: 'json', bodyLimit: 64 * 1024, ...metadataRoute,
    summary: 'Start a batch prediction over a dataset {dataset, version?, columns?, keep?, output?, on_error?}: 202 with the job',
  },
  listJobs: {
    method: 'GET', path: '/jobs', handler: 'list-jobs', query: ['limit', 'cursor'],
    scope: 'read', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'List your batch jobs, newest first (limit, cursor)',
  },
  getJob: {
    method: 'GET', path: '/jobs/{id}', handler: 'get-job', query: [],
    scope: 'read', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'A batch job: its state, rows done and failed, throughput, ETA and first errors',
  },
  getJobResults: {
    method: 'GET', path: '/jobs/{id}/results', handler: 'get-job-results', query: [],
    scope: 'read', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: "Presigned downloads of a finished job's results.<ext> and errors.jsonl",
  },
  cancelJob: {
    method: 'DELETE', path: '/jobs/{id}', handler: 'cancel-job', query: [],
    scope: 'write', auth: 'required', body: 'none', bodyLimit: 0, ...metadataRoute,
    summary: 'Cancel a queued or running batch job (idempotent; 409 once it succeeded or failed)',
  },
} as const satisfies Record<string, RouteDefinition>;

export type RouteId = keyof typeof ROUTE_DEFINITIONS;

/** The routes in table order, each with its id. */
export const ROUTES: readonly RouteSpec[] = (Object.keys(ROUTE_DEFINITIONS) as RouteId[]).map((id) => ({ id, ...ROUTE_DEFINITIONS[id] }));

/** Answers every request that no route takes: 404 for unknown paths, 405 for known paths. */
export const FALLBACK_HANDLER = 'not-routed';

export function routeById(id: RouteId): RouteSpec {
  const route = ROUTES.find((candidate) => candidate.id === id);
  if (!route) throw new Error(`No route with id '${id}' in the route table`);
  return route;
}
