import { cancelJob } from '../contracts/job-contracts';
import { cancelJob as cancel } from '../jobs/job-creation';
import { jobView } from '../jobs/job-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { jobStore } from '../platform/job-store-services';

/** DELETE /jobs/{id}: idempotent for a job cancelled already; 409 job_finished for one that succeeded or failed. */
export const handler = routeHandler(cancelJob, async ({ actor, params }) => {
  const job = await cancel(jobStore(), actor, params.id, new Date());
  return jsonResponse(200, jobView(job, new Date()), { 'cache-control': 'no-store' });
});
