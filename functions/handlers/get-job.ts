import { getJob } from '../contracts/job-contracts';
import { loadOwnJob } from '../jobs/job-creation';
import { jobView } from '../jobs/job-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { jobStore } from '../platform/job-store-services';

export const handler = routeHandler(getJob, async ({ actor, params }) => {
  const job = await loadOwnJob(jobStore(), actor, params.id);
  return jsonResponse(200, jobView(job, new Date()), { 'cache-control': 'no-store' });
});
