import type { ErrorKind } from './app-error';

interface CatalogueEntry {
  readonly kind: ErrorKind;
  readonly description: string;
}

/**
 * Every error code MLHub answers with, its kind (and so its HTTP status, error-status.ts) and
 * what it means. AppError takes only these codes, so a new code is written here first; each
 * route's contract (functions/contracts/) lists the codes it may return, and the OpenAPI
 * document shows them per status.
 *
 * Query parameters and path ids that fail their format answer `invalid_<name>` (for example
 * `invalid_version`, `invalid_limit`): the code names the parameter.
 */
export const ERROR_CATALOGUE = {
  // The request itself.
  invalid_body: { kind: 'invalid', description: 'The JSON body does not match the route\'s schema; the message names the field' },
  invalid_json: { kind: 'invalid', description: 'The body is not well-formed JSON' },
  missing_body: { kind: 'invalid', description: 'The route needs a body and none was sent' },
  invalid_encoding: { kind: 'invalid', description: 'The body or a value is not valid UTF-8, or is badly base64-encoded' },
  invalid_text: { kind: 'invalid', description: 'A text value holds characters that cannot be stored (unpaired surrogates, NUL)' },
  invalid_number: { kind: 'invalid', description: 'A number cannot be stored exactly (too large, too precise, or not finite)' },
  invalid_key: { kind: 'invalid', description: 'An object key cannot be stored (empty, too long, or reserved)' },
  nested_too_deep: { kind: 'invalid', description: 'The JSON document nests deeper than MLHub stores' },
  document_too_large: { kind: 'invalid', description: 'The document is larger than a record may hold' },
  invalid_multipart: { kind: 'invalid', description: 'The multipart/form-data body cannot be read' },
  unknown_query_parameter: { kind: 'invalid', description: 'The query string names a parameter the route does not read' },
  repeated_query_parameter: { kind: 'invalid', description: 'The query string gives a parameter more than once' },
  invalid_path: { kind: 'invalid', description: 'The request path cannot be decoded' },
  invalid_model_name: { kind: 'invalid', description: 'The model name in the path breaks the naming rules' },
  invalid_model_type: { kind: 'invalid', description: 'The model type is not one MLHub knows' },
  missing_type: { kind: 'invalid', description: 'A model must be created with a type' },
  name_mismatch: { kind: 'invalid', description: "The body's `model` names another model than the path" },
  visibility_not_here: { kind: 'invalid', description: 'Visibility changes go to /model/{name}/access' },
  invalid_if_match: { kind: 'invalid', description: 'The If-Match header is not an ETag MLHub issued' },
  invalid_cursor: { kind: 'invalid', description: 'The listing cursor was not issued by MLHub, or is for another listing' },
  invalid_parts: { kind: 'invalid', description: 'The parts range is not N or N-M within one answer\'s worth of URLs' },
  invalid_token_id: { kind: 'invalid', description: 'The path does not hold a token id' },
  payload_too_large: { kind: 'too_large', description: 'The body is larger than the route accepts' },
  unsupported_media_type: { kind: 'unsupported_media_type', description: 'The Content-Type is not one the route reads' },
  not_acceptable: { kind: 'not_acceptable', description: 'The Accept header names no media type the route answers in; the message lists those it does' },
  // Bundles and uploads.
  missing_file: { kind: 'invalid', description: 'The multipart form has no `file` field' },
  empty_bundle: { kind: 'invalid', description: 'The bundle has no bytes' },
  invalid_bundle: { kind: 'invalid', description: 'The bundle is not a .tar.gz MLHub accepts; the message says why' },
  bundle_rejected: { kind: 'invalid', description: 'The uploaded bundle failed its checks; the message gives the reason' },
  bundle_too_large: { kind: 'too_large', description: 'The bundle is larger than this MLHub accepts' },
  upload_not_found: { kind: 'not_found', description: 'No upload with this id on this model or dataset' },
  upload_incomplete: { kind: 'conflict', description: 'Parts are still missing, or the bytes differ from the declared size or sha256' },
  upload_expired: { kind: 'conflict', description: 'The upload session expired before it was completed' },
  upload_aborted: { kind: 'conflict', description: 'The upload was aborted' },
  upload_completed: { kind: 'conflict', description: 'The upload was already completed' },
  upload_checking: { kind: 'conflict', description: 'The bundle is being checked; ask again' },
  invalid_upload: { kind: 'invalid', description: 'The path does not hold an upload id MLHub could have issued' },
  // Datasets.
  dataset_not_found: { kind: 'not_found', description: 'No dataset with this id that the caller may see' },
  dataset_too_large: { kind: 'too_large', description: 'The dataset is larger than this MLHub accepts (the bundle limit)' },
  dataset_rejected: { kind: 'invalid', description: 'The uploaded dataset failed its inspection; the message gives the reason' },
  dataset_not_ready: { kind: 'conflict', description: 'The dataset is pending, rejected or aborted: a job reads only a ready dataset' },
  // Batch jobs (functions/jobs/).
  job_not_found: { kind: 'not_found', description: 'No job with this id that is yours' },
  job_not_finished: { kind: 'conflict', description: 'The job is queued or running: its results are not assembled yet' },
  job_cancelled: { kind: 'conflict', description: 'The job was cancelled: it has no results' },
  job_finished: { kind: 'conflict', description: 'The job has already succeeded or failed: there is nothing left to cancel' },
  // Models and versions.
  model_not_found: { kind: 'not_found', description: 'No model of that name that the caller may see' },
  model_exists: { kind: 'conflict', description: 'A model of that name exists' },
  revision_mismatch: { kind: 'stale', description: 'If-Match names an older revision of the record' },
  version_not_found: { kind: 'not_found', description: 'The model has no version of that number' },
  version_gone: { kind: 'gone', description: 'The version was deleted or aborted; the message says when and why' },
  version_not_ready: { kind: 'conflict', description: 'The version is still pending or was rejected' },
  no_bundle: { kind: 'not_found', description: 'The model has no ready version yet' },
  no_ready_bundle: { kind: 'conflict', description: 'The model has no ready version to predict with' },
  publishing_not_configured: { kind: 'unavailable', description: 'This deployment has no DOI prefix, so it cannot publish' },
  metadata_incomplete: { kind: 'invalid', description: 'The model lacks metadata a DOI needs; the message lists what to set' },
  // Deployments (functions/frameworks/).
  not_deployable: { kind: 'conflict', description: "The version's bundle holds no model of a framework MLHub deploys; the message says why (its `serving.reason`)" },
  jobs_not_configured: { kind: 'unavailable', description: 'This deployment cannot run batch jobs: it has no job runner (a function deployed without the job state machine)' },
  deploy_not_configured: { kind: 'unavailable', description: 'This deployment cannot create SageMaker endpoints: no execution role or scripts archive is configured, or no serving image is known for its region' },
  not_deployed: { kind: 'not_found', description: 'The version has no deployment (never deployed, or its endpoint was deleted)' },
  deployment_failed: { kind: 'conflict', description: "The version's deployment failed: DELETE …/deploy, then deploy again" },
  deployment_exists: { kind: 'conflict', description: 'The version is deployed already with other settings; the error carries the current ones' },
  model_deployment_limit: { kind: 'conflict', description: "The model has as many deployed versions as this deployment allows per model (MLHUB_DEPLOY_MAX_PER_MODEL)" },
  user_deployment_limit: { kind: 'conflict', description: "The model's owner has as many deployed versions as this deployment allows per user (MLHUB_DEPLOY_MAX_PER_USER)" },
  deployment_deleting: { kind: 'conflict', description: "The version's endpoint is being deleted; deploy again once GET …/deploy answers 404" },
  deployment_not_ready: { kind: 'conflict', description: "The version's endpoint is still being created (GET …/deploy says when it is in service)" },
  deploy_failed: { kind: 'bad_gateway', description: "SageMaker refused or failed a call that creates or deletes the version's endpoint; the message gives its reason" },
  // Identity and access.
  authentication_required: { kind: 'unauthenticated', description: 'The route needs a signed-in caller' },
  invalid_token: { kind: 'unauthenticated', description: 'The bearer token is not valid, revoked or expired, or its user was offboarded, disabled or deleted' },
  session_required: { kind: 'forbidden', description: 'The route needs a session; personal access tokens are refused' },
  insufficient_scope: { kind: 'forbidden', description: "The token's scope does not allow this route" },
  forbidden: { kind: 'forbidden', description: 'The caller may see the model but not do this to it' },
  model_published: { kind: 'conflict', description: 'The model has versions with DOIs (published, being published or withdrawn), which resolve to it: it stays public' },
  version_withdrawn: { kind: 'gone', description: 'The version was published and then withdrawn: the body\'s `tombstone` says when and why, and its DOI still resolves here' },
  model_withdrawn: { kind: 'gone', description: 'The model had published versions and was withdrawn: the body\'s `tombstone` says when and why; its name stays reserved and its DOIs still resolve here' },
  user_offboarded: { kind: 'conflict', description: 'A grant names a user an administrator offboarded; the message names the grant' },
  token_not_found: { kind: 'not_found', description: 'The caller has no token with this id' },
  identity_unavailable: { kind: 'unavailable', description: "The identity provider's keys could not be fetched, or its user pool could not be asked about a personal access token's user; retry after Retry-After seconds" },
  rate_limited: { kind: 'too_many_requests', description: 'Too many requests of this class from this caller; retry after Retry-After seconds' },
  // Predictions.
  invalid_input: { kind: 'invalid', description: 'The prediction input does not fit the model; the message names the input' },
  missing_image: { kind: 'invalid', description: 'The multipart form has no `image` field' },
  invalid_image: { kind: 'invalid', description: 'The image cannot be decoded' },
  image_not_accepted: { kind: 'invalid', description: 'The model does not take images' },
  unsupported_image_type: { kind: 'unsupported_media_type', description: 'Images are PNG or JPEG' },
  image_too_large: { kind: 'too_large', description: 'The image has more pixels than MLHub decodes' },
  input_too_large: { kind: 'too_large', description: 'The prediction input holds more values than the limit' },
  input_type_unsupported: { kind: 'conflict', description: "The model's input type cannot be fed from JSON" },
  image_shape_unsupported: { kind: 'conflict', description: "The model's input shape does not take an image" },
  image_size_unknown: { kind: 'conflict', description: "The model's input does not say the image size, and params.json does not either" },
  unbatched_output: { kind: 'conflict', description: "The model's output has no batch axis to split rows on" },
  model_without_inputs: { kind: 'conflict', description: 'The model declares no inputs' },
  no_backend: { kind: 'conflict', description: 'Nothing here runs this model: its type has no backend configured' },
  no_onnx_model: { kind: 'conflict', description: 'The bundle holds no .onnx file' },
  ambiguous_model_file: { kind: 'conflict', description: 'The bundle holds several .onnx files and params.json does not choose' },
  model_file_missing: { kind: 'conflict', description: "params.json names a model file the bundle lacks" },
  model_file_is_link: { kind: 'conflict', description: 'The model file is a link' },
  model_unloadable: { kind: 'conflict', description: 'The runtime could not load the model file' },
  model_too_large: { kind: 'conflict', description: "The model's files are larger than the predict function can hold: deploy it to a SageMaker endpoint" },
  invalid_bundle_params: { kind: 'conflict', description: "The bundle's params.json is not valid" },
  invalid_backend: { kind: 'conflict', description: "The model's backend settings are not valid" },
  backend_not_allowed: { kind: 'conflict', description: 'The backend the model names is not allowed by this deployment' },
  bundle_corrupt: { kind: 'unavailable', description: 'The stored bundle could not be unpacked' },
  bundle_unreadable: { kind: 'unavailable', description: 'The stored bundle could not be read' },
  backend_error: { kind: 'bad_gateway', description: 'The backend answered with an error' },
  backend_unavailable: { kind: 'bad_gateway', description: 'The backend could not be reached' },
  endpoint_not_in_service: { kind: 'conflict', description: 'The SageMaker endpoint the model names is not in service: being created or deleted, or gone' },
  backend_busy: { kind: 'unavailable', description: 'The backend is overloaded; retry' },
  backend_timeout: { kind: 'timeout', description: 'The backend did not answer in time' },
  predict_function_failed: { kind: 'bad_gateway', description: "The predict function, which answers the seed's image form posted to /model/{name}, failed or could not be invoked" },
  predict_function_busy: { kind: 'unavailable', description: 'The predict function is at its concurrency limit; retry' },
  search_unavailable: { kind: 'unavailable', description: 'The search index could not be loaded; retry' },
  // Datasets (functions/datasets/formats/).
  invalid_columns: { kind: 'invalid', description: "A job's `columns` or `keep` names a column the dataset lacks, or one that cannot be an input; the message names the entry (`columns[2]`)" },
  // Anything.
  route_not_found: { kind: 'not_found', description: 'No endpoint at this path' },
  method_not_allowed: { kind: 'method_not_allowed', description: 'The path exists, with other methods (see Allow)' },
  timeout: { kind: 'timeout', description: 'The request took too long and was abandoned' },
  response_too_large: { kind: 'too_large', description: "The answer would exceed Lambda's 6 MB response limit; the message says how to ask for less (for predictions, rows per request)" },
  internal_error: { kind: 'internal', description: 'An unexpected failure; the message gives the request id to report' },
} as const satisfies Record<string, CatalogueEntry>;

/** A query parameter or path id that fails its format: `invalid_version`, `invalid_limit`, `invalid_n`… */
export type ParameterErrorCode = `invalid_${string}`;

export type CataloguedCode = keyof typeof ERROR_CATALOGUE;
export type ErrorCode = CataloguedCode | ParameterErrorCode;

/** The catalogue's entry for a code; a parameter code (`invalid_<name>`) counts as `invalid`. */
export function catalogueEntry(code: string): CatalogueEntry | undefined {
  const entry = (ERROR_CATALOGUE as Readonly<Record<string, CatalogueEntry>>)[code];
  if (entry) return entry;
  return /^invalid_[a-z][a-z0-9_]*$/.test(code) ? { kind: 'invalid', description: `The ${code.slice('invalid_'.length)} parameter does not have the format the route reads` } : undefined;
}
