import * as z from 'zod/mini';
import { OUTPUT_FORMATS } from '../jobs/outputs/output-format';
import { MAX_VERSION_NUMBER } from '../versions/version-records';
import { ERROR_GROUPS as G } from './error-groups';
import { MAX_PAGE } from './model-contracts';
import { issuedIdParam, modelParams, wholeNumberText } from './parameters';
import { contract } from './route-contract';
import { component } from './views';

const timestamp = z.string().register(z.globalRegistry, { description: 'RFC 3339 date-time, UTC', format: 'date-time' });
const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** What `POST /model/{name}/jobs` takes. */
export const createJobRequest = z.strictObject({
  dataset: z.string({ error: 'must be a dataset id (ds_ and 24 hex digits)' }).check(z.minLength(1, 'must be a dataset id (ds_ and 24 hex digits)'), z.maxLength(256, 'must be a dataset id (ds_ and 24 hex digits)')),
  version: z.optional(z.int({ error: 'must be a whole version number' }).check(z.minimum(1, 'must be at least 1'), z.maximum(MAX_VERSION_NUMBER, `must be at most ${MAX_VERSION_NUMBER}`))),
  columns: z.optional(z.unknown().register(z.globalRegistry, { description: 'The input columns in the order the model takes them (an array of names), or named inputs (an object mapping each model input to its column names); every column not kept by default. Not for NPY, JSON Lines of arrays or image archives, whose rows are fed whole' })),
  keep: z.optional(z.array(z.string({ error: 'must be a column name' }), { error: 'must be an array of column names' }).check(z.maxLength(1000, 'must list at most 1000 columns'))),
  output: z.optional(z.strictObject({
    format: z.optional(z.enum(OUTPUT_FORMATS, { error: `must be one of ${OUTPUT_FORMATS.join(', ')}` })),
  }, { error: 'must be an object such as {"format": "csv"}' })),
  on_error: z.optional(z.strictObject({
    mode: z.optional(z.enum(['fail', 'skip'], { error: 'must be fail or skip' })),
    tolerated_percent: z.optional(z.number({ error: 'must be a number from 0 to 100' }).check(z.minimum(0, 'must be at least 0'), z.maximum(100, 'must be at most 100'))),
  }, { error: 'must be an object such as {"mode": "skip", "tolerated_percent": 1}' })),
}).register(z.globalRegistry, {
  id: 'CreateJobRequest',
  description: 'A batch prediction over a dataset: its id (you must be able to read it), the version (the latest ready one, as predict picks it, when absent), the input `columns` and the columns to `keep` beside the predictions, the output format (jsonl by default), and what bad rows do: `on_error.mode` fail (the default: any bad row fails the job) or skip (bad rows go to errors.jsonl; the job fails only when more than `tolerated_percent` of its rows fail, 100 by default)',
});

const rowError = z.strictObject({ row: z.int().register(z.globalRegistry, { description: '0-based data row (a header row is not one)' }), error: z.string() });

export const job = component(z.strictObject({
  id: z.string(),
  model: z.string(),
  version: z.int(),
  dataset: z.string(),
  columns: z.nullable(z.unknown()),
  keep: z.array(z.string()),
  output: z.strictObject({ format: z.enum(OUTPUT_FORMATS) }),
  on_error: z.strictObject({ mode: z.enum(['fail', 'skip']), tolerated_percent: z.number() }),
  state: z.enum(JOB_STATES),
  reason: z.nullable(z.string()),
  rows_total: z.nullable(z.int()),
  rows_done: z.int().register(z.globalRegistry, { description: 'Rows predicted and written' }),
  rows_failed: z.int().register(z.globalRegistry, { description: 'Rows with no prediction (in errors.jsonl)' }),
  chunks_total: z.nullable(z.int()),
  chunks_done: z.int(),
  chunks_failed: z.int().register(z.globalRegistry, { description: 'Chunks that failed every try: their rows count as failed' }),
  throughput: z.nullable(z.number().register(z.globalRegistry, { description: 'Rows per second since the job started (done and failed rows)' })),
  eta_seconds: z.nullable(z.number().register(z.globalRegistry, { description: 'Seconds left at the throughput so far, while running' })),
  first_errors: z.array(rowError),
  created: timestamp,
  started: z.nullable(timestamp),
  finished: z.nullable(timestamp),
  results_url: z.string().register(z.globalRegistry, { description: 'GET it for download URLs once the job has ended' }),
}), 'Job', 'A batch prediction job and its progress');

const jobParams = z.object({ id: issuedIdParam('The job id, as `id` gave it (job_ and 24 hex digits)') });
const jobErrors = [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, 'job_not_found'] as const;

export const createJob = contract({
  route: 'createJob',
  params: modelParams,
  body: createJobRequest,
  responses: {
    202: { description: 'The job, queued: it starts at once; follow it at Location', body: job, headers: { location: 'The job' } },
  },
  errors: [
    ...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.namedModel, ...G.jsonBody,
    'dataset_not_found', 'dataset_not_ready', 'invalid_columns', 'no_ready_bundle', 'version_not_found', 'version_gone', 'version_withdrawn', 'no_backend', 'jobs_not_configured',
  ],
});

export const listJobs = contract({
  route: 'listJobs',
  query: z.object({
    limit: z.optional(wholeNumberText(MAX_PAGE, 'Jobs per page (default 50)')),
    cursor: z.optional(z.string().register(z.globalRegistry, { description: "The previous page's `x-next-cursor`, unchanged (also in its Link header)" })),
  }),
  responses: {
    200: {
      description: "One page of the caller's own jobs, newest first, as a JSON array",
      body: z.array(job),
      headers: { link: 'The next page (rel="next")', 'x-next-cursor': 'The cursor of the next page' },
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, 'invalid_limit', 'invalid_cursor'],
});

export const getJob = contract({
  route: 'getJob',
  params: jobParams,
  responses: { 200: { description: 'The job and its progress (its owner only)', body: job } },
  errors: jobErrors,
});

const download = z.strictObject({
  url: z.string().register(z.globalRegistry, { description: 'A presigned GET, valid for `expires_in` seconds' }),
  key: z.string(),
  bytes: z.nullable(z.int()),
});

export const getJobResults = contract({
  route: 'getJobResults',
  params: jobParams,
  responses: {
    200: {
      description: 'Download URLs: `results` (results.<ext>, one row per predicted input row, in input order; after a failure, the rows of the chunks that ran) and `errors` (errors.jsonl, one {"row","error"} per failed row)',
      body: z.strictObject({
        job: z.string(),
        state: z.enum(['succeeded', 'failed']),
        format: z.enum(OUTPUT_FORMATS),
        results: z.nullable(download),
        errors: z.nullable(download),
        expires_in: z.int(),
      }),
    },
  },
  errors: [...jobErrors, 'job_not_finished', 'job_cancelled'],
});

export const cancelJob = contract({
  route: 'cancelJob',
  params: jobParams,
  responses: { 200: { description: 'The job is cancelled (again, if it was already): its workers stop between batches and its parts are removed', body: job } },
  errors: [...jobErrors, ...G.writeScope, 'job_finished'],
});
