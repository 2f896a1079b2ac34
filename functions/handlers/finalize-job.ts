import { logger } from '../observability/logger';
import { observeEvents } from '../observability/event-observer';
import { failJobAfterStep, stepErrorMessage } from '../jobs/job-retries';
import type { FinalizeJobInput, FinalizeJobOutput } from '../jobs/job-steps';
import { jobFinalizerSteps, jobStepStores } from '../platform/job-step-stores';

/**
 * The finalizer's input as the state machine gives it: with `failure` (the Cause of the error a
 * Catch took, on plan, chunks or finalize) when a step failed every try, which fails the job with
 * it first, as the local runner's catch does; the finalizer then leaves the failed job as it is.
 */
export interface FinalizeJobTaskInput extends FinalizeJobInput {
  readonly failure?: string;
}

/** The job state machine's last task: assembles the parts into results.<ext> and errors.jsonl and decides the job's end. */
export const handler = observeEvents('finalizeJob', async (input: FinalizeJobTaskInput): Promise<FinalizeJobOutput> => {
  if (input.failure !== undefined) {
    const message = stepErrorMessage(input.failure);
    const failed = await failJobAfterStep(jobStepStores().jobs, input.jobId, message, new Date().toISOString());
    logger.warn('job step failed every try', { job: input.jobId, failed, error: message });
  }
  const output = await jobFinalizerSteps().finalizeJob({ jobId: input.jobId });
  logger.info('job finalized', { job: output.jobId, state: output.state });
  return output;
});
