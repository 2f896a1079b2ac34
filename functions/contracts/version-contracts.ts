import * as z from 'zod/mini';
import { BUNDLE_FILENAME } from '../versions/bundle-filename';
import { URLS_PER_ANSWER } from '../uploads/upload-transfer';
import { MAX_VERSION_NUMBER } from '../versions/version-records';
import { ERROR_GROUPS as G } from './error-groups';
import { negotiated } from './model-contracts';
import { booleanText, issuedIdParam, modelNameParam, modelParams, versionQuery, wholeNumberText, withdrawalReasonQuery } from './parameters';
import { contract } from './route-contract';
import { component } from './views';
import * as views from './views';

/** What `POST /model/{name}/uploads` takes: the bundle's exact size, and what to check it against. */
export const uploadRequest = z.strictObject({
  size: z.number({ error: 'must be a number of bytes' }).check(z.int({ error: 'must be a whole number of bytes' }), z.minimum(1, 'must be at least 1')),
  sha256: z.optional(z.string({ error: 'must be a string' }).check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'))),
  filename: z.optional(z.string({ error: 'must be a string' }).check(z.regex(BUNDLE_FILENAME, 'must be a plain file name of 1 to 255 characters, without control characters, slashes or quotes'))),
}).register(z.globalRegistry, { id: 'UploadRequest', description: 'The bundle to upload: its exact size in bytes, and optionally its sha256 (checked on completion) and file name' });

export type UploadRequest = z.output<typeof uploadRequest>;

const uploadParams = z.object({ name: modelNameParam, id: issuedIdParam('The upload id, as `upload_id` gave it') });
const versionParams = z.object({ name: modelNameParam, n: wholeNumberText(MAX_VERSION_NUMBER, 'The version number') });
const versionIdentity = { etag: 'The bundle\'s sha256, quoted', 'x-mlhub-version': 'The version number served', 'x-mlhub-sha256': 'The bundle\'s sha256' };
const uploadErrors = [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.namedModel, 'forbidden'] as const;
const checkErrors = ['bundle_rejected', 'invalid_bundle', 'empty_bundle', 'bundle_too_large', 'version_gone'] as const;

export const uploadBundle = contract({
  route: 'uploadBundle',
  params: modelParams,
  requestBody: { description: 'The .tar.gz bundle: the raw bytes, or a multipart form with a `file` field (curl -F file=@bundle.tar.gz)', mediaTypes: ['application/gzip', 'application/octet-stream', 'multipart/form-data'], required: true, formField: 'file' },
  responses: { 201: { description: 'The bundle passed its checks and is the new latest version', body: views.modelVersion, headers: { location: 'Where to download it' } } },
  errors: [...uploadErrors, ...checkErrors, 'payload_too_large', 'unsupported_media_type', 'invalid_multipart', 'missing_file', 'model_not_found'],
});

/** Where a bundle can be fetched from, and until when (the 302's body, and the JSON form's). */
export const downloadLink = z.strictObject({
  model: z.string(),
  version: z.int(),
  size: z.int(),
  url: z.string(),
  expires: z.iso.datetime(),
}).register(z.globalRegistry, {
  id: 'DownloadLink',
  description: 'A presigned S3 URL that serves the bundle (and Range requests), and when it expires (ISO 8601, UTC) at the latest: it dies sooner if the credentials that signed it do',
});

export const downloadBundle = contract({
  route: 'downloadBundle',
  params: modelParams,
  query: z.object({
    version: z.optional(versionQuery),
    redirect: z.optional(booleanText('false: answer 200 with the JSON link instead of the bytes or a 302, as Accept: application/json does (for browsers, which follow a cross-origin 302 with Origin: null)')),
  }),
  responses: {
    200: {
      description: "The bundle's bytes. Asked for JSON (`Accept: application/json`, or `?redirect=false`), whatever the size: a `DownloadLink` to fetch them from, which browsers can follow with CORS",
      contentType: 'application/gzip',
      body: downloadLink,
      headers: {
        'content-disposition': 'attachment; filename="<name>-v<n>.tar.gz" (the bytes only)', vary: 'Accept: the answer depends on it',
        ...versionIdentity, etag: 'The bundle\'s sha256, quoted (the bytes only: the JSON form is another representation, and has none)',
      },
    },
    302: {
      description: 'A bundle too large to pass through Lambda: a short-lived S3 URL that serves it (and Range requests)',
      body: downloadLink,
      headers: { location: 'The presigned URL', ...versionIdentity },
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.namedModel, 'invalid_version', 'invalid_redirect', 'no_bundle', 'version_not_found', 'version_gone', 'version_withdrawn', 'version_not_ready', 'bundle_unreadable'],
});

export const createUpload = contract({
  route: 'createUpload',
  params: modelParams,
  body: uploadRequest,
  responses: { 201: { description: 'The session, with presigned URLs for the first parts (or the single PUT)', body: views.uploadStatus, headers: { location: 'The session\'s status URL' } } },
  errors: [...uploadErrors, ...G.jsonBody, 'bundle_too_large'],
});

export const listUploads = contract({
  route: 'listUploads',
  params: modelParams,
  responses: { 200: { description: "The model's upload sessions that are still open", body: z.array(views.uploadSession) } },
  errors: uploadErrors,
});

export const getUpload = contract({
  route: 'getUpload',
  params: uploadParams,
  query: z.object({ parts: z.optional(z.string().register(z.globalRegistry, { description: `Part numbers to sign URLs for: N or N-M, at most ${URLS_PER_ANSWER}` })) }),
  responses: { 200: { description: 'The parts received so far, and fresh URLs', body: views.uploadStatus } },
  errors: [...uploadErrors, 'invalid_id', 'invalid_parts', 'upload_not_found', 'upload_aborted', 'upload_completed', 'upload_expired'],
});

export const completeUpload = contract({
  route: 'completeUpload',
  params: uploadParams,
  responses: {
    200: { description: 'The bundle passed its checks: the version is ready', body: views.modelVersion },
    202: { description: 'A large bundle is still being checked: ask again, or watch the version', body: views.modelVersion },
  },
  errors: [...uploadErrors, ...checkErrors, 'invalid_id', 'upload_not_found', 'upload_incomplete', 'upload_expired', 'upload_aborted', 'upload_checking', 'bundle_unreadable'],
});

export const abortUpload = contract({
  route: 'abortUpload',
  params: uploadParams,
  responses: { 200: { description: 'The upload was aborted: its parts and pending version are gone', body: z.strictObject({ upload_id: z.string(), aborted: z.literal(true) }) } },
  errors: [...uploadErrors, 'invalid_id', 'upload_not_found', 'upload_completed', 'upload_checking'],
});

export const getVersion = contract({
  route: 'getVersion',
  params: versionParams,
  responses: {
    200: {
      description: `The version as it stands: pending, ready or rejected. ${negotiated.description}. A withdrawn version's citation and JSON-LD still answer 200, marked withdrawn, as GET /model/{name}/cite does`,
      body: views.modelVersion,
      contentType: negotiated.contentType,
      headers: negotiated.headers,
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.namedModel, 'invalid_version', 'version_not_found', 'version_gone', 'version_withdrawn', 'version_not_ready', 'not_acceptable'],
  errorPages: negotiated.errorPages,
});

/** `POST …/versions/{n}/publish`'s answer: the publication, with the model and version it belongs to. */
export const publicationAnswer = component(z.strictObject({ model: z.string(), version: z.int(), ...views.publication.def.shape }), 'PublicationAnswer', 'A version\'s publication, with the model and version');

export const publishVersion = contract({
  route: 'publishVersion',
  params: versionParams,
  responses: {
    200: { description: 'The version is published: its DOI and concept DOI are registered (asking again changes nothing)', body: publicationAnswer },
    202: { description: 'Publishing began, or is under way: the DOIs are being registered; GET the version to see when it is published', body: publicationAnswer, headers: { location: 'The version, to poll' } },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.namedModel, 'forbidden', 'invalid_version', 'version_not_found', 'version_gone', 'version_withdrawn', 'version_not_ready', 'metadata_incomplete', 'publishing_not_configured'],
});

export const deleteVersion = contract({
  route: 'deleteVersion',
  params: versionParams,
  query: withdrawalReasonQuery,
  responses: {
    200: {
      description: 'The version is deleted: its bytes are gone and it answers 410 from now on. A version with a DOI (published, or being published) is withdrawn instead: its publication turns `withdrawn`, its DOI is hidden (still resolving) with a Withdrawn date, and it answers 410 with its tombstone',
      body: views.modelVersion,
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.namedModel, 'forbidden', 'invalid_version', 'invalid_reason', 'version_not_found', 'version_gone', 'version_withdrawn', 'upload_checking'],
});
