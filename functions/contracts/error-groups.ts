import type { ErrorCode } from '../errors/error-catalogue';

/**
 * Codes that routes share by what they are rather than what they do; a contract lists them with
 * its own. Each group follows the middleware or module that raises them.
 */
export const ERROR_GROUPS = {
  /** Any route (functions/http/route-handler.ts, error-response.ts, query-params.ts, response-size.ts). */
  everyRoute: ['unknown_query_parameter', 'repeated_query_parameter', 'invalid_path', 'internal_error', 'timeout', 'response_too_large'],
  /** Routes that read a bearer token when one is sent (functions/identity/authenticate.ts). */
  readsIdentity: ['invalid_token', 'identity_unavailable', 'rate_limited'],
  /** Routes that need a signed-in caller. */
  signedIn: ['authentication_required'],
  /** Routes a read-only personal access token may not call. */
  writeScope: ['insufficient_scope'],
  /** Routes a personal access token may not call at all. */
  sessionOnly: ['session_required'],
  /** Routes with a model name in the path, checked before anything else (model-name.ts, access-policy.ts). */
  namedModel: ['invalid_model_name', 'model_not_found', 'model_withdrawn'],
  /** Routes that store a JSON document (functions/http/json-body.ts, functions/store/storable-values.ts). */
  jsonBody: [
    'invalid_body', 'invalid_json', 'missing_body', 'invalid_encoding', 'invalid_text', 'invalid_number', 'invalid_key',
    'nested_too_deep', 'document_too_large', 'payload_too_large', 'unsupported_media_type',
  ],
} as const satisfies Record<string, readonly ErrorCode[]>;

/** The inference engine's refusals and failures (functions/inference/). */
export const PREDICTION_ERRORS = [
  'missing_body', 'invalid_json', 'invalid_encoding', 'nested_too_deep', 'invalid_multipart', 'unsupported_media_type', 'payload_too_large',
  'invalid_input', 'missing_image', 'invalid_image', 'image_not_accepted', 'unsupported_image_type', 'image_too_large', 'input_too_large',
  'input_type_unsupported', 'image_shape_unsupported', 'image_size_unknown', 'unbatched_output', 'model_without_inputs',
  'no_backend', 'deployment_not_ready', 'no_onnx_model', 'ambiguous_model_file', 'model_file_missing', 'model_file_is_link', 'model_unloadable', 'model_too_large',
  'invalid_bundle_params', 'invalid_backend', 'backend_not_allowed', 'no_ready_bundle', 'version_not_found', 'version_gone', 'version_withdrawn', 'version_not_ready',
  'bundle_corrupt', 'bundle_unreadable', 'backend_error', 'backend_unavailable', 'endpoint_not_in_service', 'backend_busy', 'backend_timeout', 'invalid_version',
] as const satisfies readonly ErrorCode[];
