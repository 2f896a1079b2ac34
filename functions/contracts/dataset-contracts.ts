import * as z from 'zod/mini';
import { DATASET_FORMATS } from '../datasets/dataset-inspection';
import { URLS_PER_ANSWER } from '../uploads/upload-transfer';
import { BUNDLE_FILENAME } from '../versions/bundle-filename';
import { ERROR_GROUPS as G } from './error-groups';
import { MAX_PAGE } from './model-contracts';
import { issuedIdParam, wholeNumberText } from './parameters';
import { contract } from './route-contract';
import { component, sha256, timestamp, transferPartsShape } from './views';


/** What `POST /datasets` takes. */
export const createDatasetRequest = z.strictObject({
  filename: z.string({ error: 'must be a string' }).check(z.regex(BUNDLE_FILENAME, 'must be a plain file name of 1 to 255 characters, without control characters, slashes or quotes')),
  size: z.number({ error: 'must be a number of bytes' }).check(z.int({ error: 'must be a whole number of bytes' }), z.minimum(1, 'must be at least 1')),
  sha256: z.optional(z.string({ error: 'must be a string' }).check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'))),
  format: z.optional(z.enum(DATASET_FORMATS, { error: `must be one of ${DATASET_FORMATS.join(', ')}` })),
  visibility: z.optional(z.enum(['private', 'public'], { error: 'must be private or public' })),
}).register(z.globalRegistry, {
  id: 'CreateDatasetRequest',
  description: 'The file to upload: its name (the format is told by its first bytes, then its extension, unless `format` names it), its exact size in bytes (at most the bundle limit), optionally its sha256 (checked on completion), and who may read it (private by default)',
});

const columnType = z.enum(['number', 'integer', 'string', 'boolean', 'list<number>', 'null', 'mixed']);
const datasetSchema = component(z.union([
  z.strictObject({ kind: z.literal('columns'), columns: z.array(z.strictObject({ name: z.string(), type: columnType })) }),
  z.strictObject({ kind: z.literal('array'), shape: z.array(z.int()), dtype: z.string() }),
  z.strictObject({ kind: z.literal('images'), formats: z.strictObject({ png: z.int(), jpeg: z.int() }) }),
]), 'DatasetSchema', 'What the inspection found: columns and their types (CSV, TSV, JSON Lines of objects, Parquet), an array shape and dtype (NPY, JSON Lines of arrays; the first dimension is rows), or image counts (a tar of images)');

const datasetUploadShape = {
  upload_id: z.string(),
  dataset: z.string(),
  state: z.enum(['open', 'completed', 'aborted']),
  size: z.int(),
  sha256: z.nullable(sha256),
  mode: z.enum(['single', 'multipart']),
  part_size: z.int(),
  part_count: z.int(),
  expires: timestamp,
  status_url: z.string(),
  complete_url: z.string(),
};

export const datasetUploadStatus = component(z.strictObject({
  ...datasetUploadShape,
  ...transferPartsShape,
}), 'DatasetUploadStatus', "A dataset's upload, as a model upload's (UploadStatus): the parts received so far, and presigned URLs for parts still to send");

const datasetShape = {
  id: z.string(),
  owner: z.string(),
  filename: z.string(),
  size: z.int().register(z.globalRegistry, { description: 'Bytes as uploaded (compressed, for a gzip upload)' }),
  sha256: z.nullable(sha256),
  format: z.nullable(z.enum(DATASET_FORMATS)),
  compression: z.nullable(z.enum(['none', 'gzip'])),
  status: z.enum(['pending', 'ready', 'rejected', 'aborted']),
  reason: z.nullable(z.string()),
  schema: z.nullable(datasetSchema),
  row_count: z.nullable(z.int().register(z.globalRegistry, { description: 'Data rows (a header row is not one; NPY: the first dimension; an image tar: its images), counted by reading the whole file once' })),
  visibility: z.enum(['private', 'public']),
  created: timestamp,
  updated: timestamp,
  upload: z.strictObject(datasetUploadShape),
};

export const dataset = component(z.strictObject(datasetShape), 'Dataset', 'A dataset: pending until its upload is complete and inspected, then ready (with its schema and row count), rejected (with the reason) or aborted');

const datasetParams = z.object({ id: issuedIdParam('The dataset id, as `id` gave it (ds_ and 24 hex digits)') });
const uploadParams = z.object({ id: datasetParams.def.shape.id, upload: issuedIdParam('The upload id, as `upload.upload_id` gave it') });
const datasetErrors = [...G.everyRoute, ...G.readsIdentity, 'invalid_id', 'dataset_not_found'] as const;
const uploadErrors = [...datasetErrors, ...G.signedIn, ...G.writeScope, 'forbidden', 'invalid_upload', 'upload_not_found'] as const;

export const createDataset = contract({
  route: 'createDataset',
  body: createDatasetRequest,
  responses: {
    201: {
      description: 'The dataset, pending, with its upload: presigned URLs for the first parts (or the single PUT)',
      body: z.strictObject({ ...datasetShape, upload: datasetUploadStatus }),
      headers: { location: 'The dataset' },
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.jsonBody, 'dataset_too_large'],
});

export const listDatasets = contract({
  route: 'listDatasets',
  query: z.object({
    limit: z.optional(wholeNumberText(MAX_PAGE, 'Datasets per page (default 50)')),
    cursor: z.optional(z.string().register(z.globalRegistry, { description: "The previous page's `x-next-cursor`, unchanged (also in its Link header)" })),
  }),
  responses: {
    200: {
      description: "One page of the caller's own datasets, newest first, as a JSON array",
      body: z.array(dataset),
      headers: { link: 'The next page (rel="next")', 'x-next-cursor': 'The cursor of the next page' },
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, 'invalid_limit', 'invalid_cursor'],
});

export const getDataset = contract({
  route: 'getDataset',
  params: datasetParams,
  responses: { 200: { description: 'The dataset as it stands (its owner, or anyone for a public one)', body: dataset } },
  errors: datasetErrors,
});

export const deleteDataset = contract({
  route: 'deleteDataset',
  params: datasetParams,
  responses: {
    200: {
      description: 'The dataset is deleted (owner only): its record and every object it had are gone, and it answers 404 from now on',
      body: z.strictObject({ dataset: z.string(), deleted: z.literal(true), status: z.enum(['pending', 'ready', 'rejected', 'aborted']), objects_deleted: z.int() }),
    },
  },
  errors: [...datasetErrors, ...G.signedIn, ...G.writeScope, 'forbidden'],
});

export const getDatasetUpload = contract({
  route: 'getDatasetUpload',
  params: uploadParams,
  query: z.object({ parts: z.optional(z.string().register(z.globalRegistry, { description: `Part numbers to sign URLs for: N or N-M, at most ${URLS_PER_ANSWER}` })) }),
  responses: { 200: { description: 'The parts received so far, and fresh URLs', body: datasetUploadStatus } },
  errors: [...uploadErrors, 'invalid_parts', 'upload_expired'],
});

export const completeDatasetUpload = contract({
  route: 'completeDatasetUpload',
  params: uploadParams,
  responses: {
    200: { description: 'The dataset passed its inspection: it is ready, with its schema and row count', body: dataset },
    202: { description: 'A large dataset is still being inspected: ask again, or watch the dataset', body: dataset },
  },
  errors: [...uploadErrors, 'dataset_rejected', 'upload_incomplete', 'upload_expired', 'upload_aborted'],
});

export const abortDatasetUpload = contract({
  route: 'abortDatasetUpload',
  params: uploadParams,
  responses: { 200: { description: 'The upload was aborted: its parts are gone and the dataset is aborted', body: z.strictObject({ dataset: z.string(), upload_id: z.string(), aborted: z.literal(true) }) } },
  errors: [...uploadErrors, 'upload_completed', 'upload_checking'],
});
