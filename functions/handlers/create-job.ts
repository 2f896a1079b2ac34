import { createJob } from '../contracts/job-contracts';
import { createJob as createQueuedJob } from '../jobs/job-creation';
import { jobExecutionAvailable, startJobExecution } from '../jobs/job-execution';
import { jobPath, jobView } from '../jobs/job-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { datasetStore } from '../platform/dataset-services';
import { predictedVersions } from '../platform/predicted-version-services';
import { jobStore } from '../platform/job-store-services';

/** POST /model/{name}/jobs: checks and records the job, starts its run, and answers 202 at once. */
export const handler = routeHandler(createJob, async ({ actor, params, body }) => {
  const now = () => new Date();
  const job = await createQueuedJob({
    jobs: jobStore(),
    datasets: datasetStore(),
    predictedVersion: (caller, name, requested) => predictedVersions().lookup(caller, name, requested),
    start: startJobExecution,
    canStart: jobExecutionAvailable,
    now,
  }, actor, params.name, body);
  return jsonResponse(202, jobView(job, now()), { location: jobPath(job.id), 'cache-control': 'no-store' });
});
