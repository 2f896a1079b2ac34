import { logger } from '../observability/logger';
import { observeEvents } from '../observability/event-observer';
import { stepErrorMessage } from '../jobs/job-retries';
import type { RunJobChunkInput, RunJobChunkOutput } from '../jobs/job-steps';
import { jobSteps } from '../platform/job-services';

/**
 * The Distributed Map's item task (the local runner's pool runs it the same way): one chunk of a
 * job, its part written and counted once. A `failure` from the state machine's Catch is the
 * error's Cause (Lambda's error JSON): its message is what the chunk's failed rows give as reason.
 */
export const handler = observeEvents('runJobChunk', async (input: RunJobChunkInput): Promise<RunJobChunkOutput> => {
  const output = await jobSteps().runJobChunk(input.failure === undefined ? input : { ...input, failure: stepErrorMessage(input.failure) });
  logger.info('job chunk run', { job: output.jobId, chunk: output.chunk, rows: output.rows, failed: output.failed, counted: output.counted, ...(output.stopped ? { stopped: output.stopped } : {}) });
  return output;
});
