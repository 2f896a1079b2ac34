import { logger } from '../observability/logger';
import { observeEvents } from '../observability/event-observer';
import type { PlanJobInput, PlanJobOutput } from '../jobs/job-steps';
import { jobSteps } from '../platform/job-services';

/** The job state machine's first task (the local runner's too): cuts the dataset into the chunk manifest and starts the job running. */
export const handler = observeEvents('planJob', async (input: PlanJobInput): Promise<PlanJobOutput> => {
  const output = await jobSteps().planJob(input);
  logger.info('job planned', { job: output.jobId, chunks: output.chunkCount, state: output.state });
  return output;
});
