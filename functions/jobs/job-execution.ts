import { createSfnClient } from '../platform/aws-clients';
import { processSlot } from '../platform/process-slot';
import { StepFunctionsJobExecutions } from './step-functions-executions';

/**
 * Starts a job's run: in the cloud, Step Functions StartExecution of the job state machine
 * (lib/jobs/job-state-machine.ts), named by the job id (an execution name is unique per state
 * machine, so starting a job twice starts one run); locally, the in-process runner (local/jobs/)
 * that the runtime attaches here. The POST handler calls it once the queued record is written, as
 * it would call StartExecution: a direct start, rather than a table stream or a queue between
 * them, because that is what the cloud does (no stream-to-Step-Functions pipe to mirror), and a
 * job not started (a crash in between) stays queued, for the runner to take up when it starts
 * (local) or for a retry of the start (cloud).
 */
export type JobExecutionStarter = (jobId: string) => Promise<void>;

/** The job state machine's ARN, which the stack gives the functions that start and stop jobs (createJob, cancelJob). */
export const JOB_STATE_MACHINE_ENV = 'MLHUB_JOB_STATE_MACHINE_ARN';

const starterSlot = processSlot<JobExecutionStarter>('mlhub.jobExecutions', 'job execution starter');

/** Has job starts go to `starter` (the local runtime's runner). Returns the detach function. */
export function attachJobExecutionStarter(starter: JobExecutionStarter): () => void {
  return starterSlot.attach(starter);
}

/** The state machine's executions, for the ARN in `env`; one client per process. */
let cloud: { arn: string; executions: StepFunctionsJobExecutions } | undefined;
function cloudExecutions(env: NodeJS.ProcessEnv): StepFunctionsJobExecutions | undefined {
  const arn = env[JOB_STATE_MACHINE_ENV];
  if (!arn) return undefined;
  if (cloud?.arn !== arn) cloud = { arn, executions: new StepFunctionsJobExecutions(createSfnClient(), arn) };
  return cloud.executions;
}

/**
 * Whether this process can start a job: locally the runtime attaches its runner; in the cloud the
 * stack sets MLHUB_JOB_STATE_MACHINE_ARN. Without either (a stack built without the job state
 * machine), POST /model/{name}/jobs answers 503 jobs_not_configured before it writes anything,
 * rather than a queued job that never runs.
 */
export function jobExecutionAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return starterSlot.get() !== undefined || Boolean(env[JOB_STATE_MACHINE_ENV]);
}

/** Starts the job: the attached runner, or StartExecution on MLHUB_JOB_STATE_MACHINE_ARN; throws without either. */
export async function startJobExecution(jobId: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const starter = starterSlot.get();
  if (starter) return starter(jobId);
  const executions = cloudExecutions(env);
  if (!executions) throw new Error(`No job runner to start job ${jobId}: ${JOB_STATE_MACHINE_ENV} is not set`);
  return executions.start(jobId);
}

/**
 * Stops the run of a job cancelled while still queued (DELETE /jobs/{id}), as a best effort: the
 * cancellation itself is the record's state, which every step reads (planJob leaves a cancelled
 * job as it is, runJobChunk stops between batches, finalizeJob removes the parts), locally and in
 * the cloud alike. Only a queued job's execution is stopped: it has written no parts yet, while
 * stopping a running one would skip the finalizer that removes them. Locally there is nothing to
 * stop (the runner reads the record). Resolves whether stopped or not; a failure to stop is
 * returned as its message, for the caller to log.
 */
export async function stopQueuedJobExecution(jobId: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stopped: boolean; error?: string }> {
  if (starterSlot.get()) return { stopped: false };
  const executions = cloudExecutions(env);
  if (!executions) return { stopped: false };
  try {
    return { stopped: await executions.stop(jobId, 'cancelled by its owner while queued') };
  } catch (error) {
    return { stopped: false, error: (error as Error)?.message ?? String(error) };
  }
}
