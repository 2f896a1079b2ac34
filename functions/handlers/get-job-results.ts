import { getJobResults } from '../contracts/job-contracts';
import { conflict } from '../errors/app-error';
import { loadOwnJob } from '../jobs/job-creation';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { bundleStore } from '../platform/bundle-services';
import { loadFunctionConfig } from '../platform/function-config';
import { jobStore } from '../platform/job-store-services';

/**
 * Presigned downloads of the assembled files (S3 GetObject URLs, as bundle downloads are): once
 * the job succeeded, and after a failure too (its errors.jsonl says why; its results hold the rows
 * of the chunks that ran). 409 job_not_finished while it is queued or running, job_cancelled for
 * a cancelled job, which has none.
 */
export const handler = routeHandler(getJobResults, async ({ actor, params }) => {
  const job = await loadOwnJob(jobStore(), actor, params.id);
  if (job.state === 'queued' || job.state === 'running') throw conflict('job_not_finished', `Job '${job.id}' is ${job.state}; its results are assembled when it ends (rows done: ${job.rowsDone} of ${job.rowsTotal ?? '?'})`);
  if (job.state === 'cancelled') throw conflict('job_cancelled', `Job '${job.id}' was cancelled; it has no results`);
  const expiresIn = loadFunctionConfig().uploads.presignSeconds;
  const objects = bundleStore();
  const download = async (key: string | undefined, filename: string) => {
    if (!key) return null;
    const stored = await objects.stat(key);
    return stored ? { url: await objects.presignDownload(key, filename, expiresIn), key, bytes: stored.size } : null;
  };
  return jsonResponse(200, {
    job: job.id,
    state: job.state,
    format: job.format,
    results: await download(job.resultsKey, `${job.id}-results.${job.format}`),
    errors: await download(job.errorsKey, `${job.id}-errors.jsonl`),
    expires_in: expiresIn,
  }, { 'cache-control': 'no-store' });
});
