import { processSlot } from '../platform/process-slot';

/**
 * Starts a job's run: in the cloud, Step Functions StartExecution of the job state machine, named
 * by the job id (an execution name is unique per state machine, so starting a job twice starts
 * one run); locally, the in-process runner (local/jobs/) that the runtime attaches here. The POST
 * handler calls it once the queued record is written, as it would call StartExecution: a direct
 * start, rather than a table stream or a queue between them, because that is what the cloud does
 * (no stream-to-Step-Functions pipe to mirror), and a job not started (a crash in between) stays
 * queued, for the runner to take up when it starts (local) or for a retry of the start (cloud).
 */
export type JobExecutionStarter = (jobId: string) => Promise<void>;

const starterSlot = processSlot<JobExecutionStarter>('mlhub.jobExecutions', 'job execution starter');

/** Has job starts go to `starter` (the local runtime's runner). Returns the detach function. */
export function attachJobExecutionStarter(starter: JobExecutionStarter): () => void {
  return starterSlot.attach(starter);
}

/**
 * Whether this process can start a job: locally the runtime attaches its runner; in the cloud the
 * job state machine is not deployed yet, so POST /model/{name}/jobs answers 503
 * jobs_not_configured before it writes anything, rather than a queued job that never runs.
 */
export function jobExecutionAvailable(): boolean {
  return starterSlot.get() !== undefined;
}

/**
 * Starts the job. Without an attached runner this is where the cloud's StartExecution goes, with
 * the state machine ARN the stack gives the function (MLHUB_JOB_STATE_MACHINE_ARN): the state
 * machine and its SDK client come with the stack's job state machine, so until then it throws.
 */
export async function startJobExecution(jobId: string): Promise<void> {
  const starter = starterSlot.get();
  if (starter) return starter(jobId);
  throw new Error(`No job runner to start job ${jobId}: the job state machine is not deployed yet (StartExecution on MLHUB_JOB_STATE_MACHINE_ARN)`);
}
