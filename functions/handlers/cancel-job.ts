import { cancelJob } from '../contracts/job-contracts';
import { cancelJob as cancel } from '../jobs/job-creation';
import { stopQueuedJobExecution } from '../jobs/job-execution';
import { jobView } from '../jobs/job-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { logger } from '../observability/logger';
import { jobStore } from '../platform/job-store-services';

/** DELETE /jobs/{id}: idempotent for a job cancelled already; 409 job_finished for one that succeeded or failed. */
export const handler = routeHandler(cancelJob, async ({ actor, params }) => {
  const job = await cancel(jobStore(), actor, params.id, new Date(), async (jobId) => {
    const stop = await stopQueuedJobExecution(jobId);
    // The job is cancelled either way: its execution ends at its next step.
    if (stop.error) logger.warn('could not stop the execution of a job cancelled while queued', { job: jobId, error: stop.error });
  });
  return jsonResponse(200, jobView(job, new Date()), { 'cache-control': 'no-store' });
});
