import { logger } from '../observability/logger';
import { observeEvents } from '../observability/event-observer';
import type { FinalizeJobInput, FinalizeJobOutput } from '../jobs/job-steps';
import { jobFinalizerSteps } from '../platform/job-step-stores';

/** The job state machine's last task: assembles the parts into results.<ext> and errors.jsonl and decides the job's end. */
export const handler = observeEvents('finalizeJob', async (input: FinalizeJobInput): Promise<FinalizeJobOutput> => {
  const output = await jobFinalizerSteps().finalizeJob(input);
  logger.info('job finalized', { job: output.jobId, state: output.state });
  return output;
});
