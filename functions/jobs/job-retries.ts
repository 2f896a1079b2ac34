import type { JobStore } from './job-store';

/**
 * How the job state machine retries its steps, which the local runner (local/jobs/local-job-runner.ts)
 * and the cloud one (lib/jobs/job-state-machine.ts) both follow: each step is tried STEP_ATTEMPTS
 * times, each wait STEP_BACKOFF_RATE times the one before (Step Functions' Retry: MaxAttempts
 * STEP_ATTEMPTS - 1, BackoffRate). The first wait is 0.5 s locally and 1 s in Step Functions,
 * whose IntervalSeconds is a whole number of at least 1.
 */
export const STEP_ATTEMPTS = 3;
export const STEP_BACKOFF_RATE = 2;

/** The reason a job that a step failed every try ends with (at most 400 characters of the step's error). */
export const stepFailureReason = (message: string): string => `A step of the job failed every try: ${message.slice(0, 400)}`;

/**
 * Fails a job whose step failed every try (the local runner's catch; the state machine's Catch,
 * through finalizeJob with `failure`): queued or running becomes failed with stepFailureReason;
 * a job already ended is left as it is. Returns whether it moved.
 */
export function failJobAfterStep(jobs: Pick<JobStore, 'finish'>, jobId: string, message: string, at: string): Promise<boolean> {
  return jobs.finish(jobId, ['queued', 'running'], { state: 'failed', reason: stepFailureReason(message) }, at);
}

/**
 * The message of a step's error as a state machine's Catch hands it on ($.error.Cause): for a
 * Lambda task, the function's error as JSON (`{"errorType", "errorMessage", "trace"}`: Lambda's
 * error response), whose errorMessage is the message; any other cause (a States.* error's
 * text, or the local runner's error message) is the message itself.
 */
export function stepErrorMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed === 'object' && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message.
  }
  return cause;
}
