import type { DatasetChunk } from '../../functions/datasets/formats/dataset-types';
import type { JobStore } from '../../functions/jobs/job-store';
import { failJobAfterStep, STEP_ATTEMPTS, STEP_BACKOFF_RATE } from '../../functions/jobs/job-retries';
import { jobDoomed, type FinalizeJobOutput, type PlanJobOutput, type RunJobChunkInput, type RunJobChunkOutput } from '../../functions/jobs/job-steps';
import { wait } from '../events/delivery-context';

/** Backoff before the nth retry: 0.5 s, 1 s (BackoffRate 2), as the state machine's Retry (functions/jobs/job-retries.ts). */
export const stepBackoffMs = (retry: number): number => 500 * STEP_BACKOFF_RATE ** (retry - 1);
/** Jobs resumed at a start, at most (older ones wait for the next start). */
const RESUMED_JOBS = 1000;

export interface LocalJobRunnerOptions {
  /** Runs a state-machine task through the event dispatcher (EventDispatcher.runTask), as Step Functions invokes it. */
  readonly runTask: (functionId: 'planJob' | 'runJobChunk' | 'finalizeJob', input: unknown) => Promise<unknown>;
  /** The job records, to skip counted chunks and see cancellations and doomed jobs between chunks. */
  readonly jobs: () => JobStore;
  /** Reads the manifest, as the Distributed Map's ItemReader reads it from S3. */
  readonly readManifest: (bucket: string, key: string) => Promise<Buffer>;
  /** Chunks run at once per job (MLHUB_JOB_CONCURRENCY: the Distributed Map's MaxConcurrency). */
  readonly concurrency: number;
  readonly log: (line: string) => void;
  readonly backoffMs?: (retry: number) => number;
}

export interface LocalJobRunner {
  /** Starts a job's run (job-execution.ts attaches this as the local StartExecution); a job already running here is not started twice. */
  start(jobId: string): void;
  /** Takes up every job left queued or running (after a restart, a kill -9 included). */
  resume(): Promise<void>;
  /** Resolves when every run under way has ended (tests, and a clean stop). */
  idle(): Promise<void>;
  /** Starts nothing more; runs under way end at their next step. */
  stop(): void;
}

/**
 * The job state machine, run in process: planJob, then runJobChunk over the manifest's lines
 * with `concurrency` at once, then finalizeJob, each step through the event dispatcher exactly as
 * Step Functions would invoke its Lambda function, with its retries (STEP_ATTEMPTS, backoff) and
 * tolerated failure: a chunk that fails every try is run once more with `failure`, which writes
 * its rows as failed rows, and the job's on_error decides. A cancelled or doomed job (one that can
 * no longer succeed) starts no more chunks. State lives in the table and the bucket only, so a
 * runner that starts again (after a kill -9) resumes every queued or running job from its counted
 * chunks; a chunk cut off mid-way is run again and overwrites its part.
 */
export function createLocalJobRunner(options: LocalJobRunnerOptions): LocalJobRunner {
  const running = new Map<string, Promise<void>>();
  let stopped = false;
  const backoff = options.backoffMs ?? stepBackoffMs;

  async function attempt<T>(what: string, step: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries += 1) {
      try {
        return await step();
      } catch (error) {
        if (tries >= STEP_ATTEMPTS || stopped) throw error;
        options.log(`${what} failed (try ${tries} of ${STEP_ATTEMPTS}), retrying: ${(error as Error)?.message ?? String(error)}`);
        await wait(backoff(tries));
      }
    }
  }

  /** Whether the job should start no more chunks: cancelled, ended, gone, or unable to succeed. */
  async function halted(jobId: string): Promise<boolean> {
    const job = await options.jobs().get(jobId);
    return stopped || !job || job.state !== 'running' || jobDoomed(job);
  }

  async function runChunk(jobId: string, chunk: DatasetChunk): Promise<RunJobChunkOutput | undefined> {
    const input: RunJobChunkInput = { jobId, chunk };
    try {
      return await attempt(`Job ${jobId} chunk ${chunk.index}`, () => options.runTask('runJobChunk', input) as Promise<RunJobChunkOutput>);
    } catch (error) {
      if (stopped) return undefined;
      const failure = (error as Error)?.message ?? String(error);
      options.log(`Job ${jobId} chunk ${chunk.index} failed every try; its rows count as failed: ${failure}`);
      return attempt(`Job ${jobId} chunk ${chunk.index} (as failed)`, () => options.runTask('runJobChunk', { ...input, failure }) as Promise<RunJobChunkOutput>);
    }
  }

  async function run(jobId: string): Promise<void> {
    const plan = await attempt(`Job ${jobId} plan`, () => options.runTask('planJob', { jobId }) as Promise<PlanJobOutput>);
    if (plan.state === 'running') {
      const counted = new Set(await options.jobs().countedChunks(jobId));
      const manifest = (await options.readManifest(plan.manifest.bucket, plan.manifest.key)).toString('utf8');
      const chunks = manifest.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as DatasetChunk).filter((chunk) => !counted.has(chunk.index));
      let next = 0;
      let halt = false;
      const worker = async (): Promise<void> => {
        while (!halt && next < chunks.length) {
          if (await halted(jobId)) {
            halt = true;
            return;
          }
          // Another worker may have taken the last chunk while this one awaited the check.
          if (next >= chunks.length) return;
          const chunk = chunks[next++]!;
          const output = await runChunk(jobId, chunk);
          if (output?.stopped) halt = true;
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, chunks.length)) }, worker));
    }
    if (stopped) return;
    const end = await attempt(`Job ${jobId} finalize`, () => options.runTask('finalizeJob', { jobId }) as Promise<FinalizeJobOutput>);
    options.log(`Job ${jobId} ${end.state}`);
  }

  const start = (jobId: string): void => {
    if (stopped || running.has(jobId)) return;
    const done = run(jobId)
      .catch(async (error: unknown) => {
        const reason = (error as Error)?.message ?? String(error);
        if (stopped) return options.log(`Job ${jobId} stopped with the runtime; it resumes at the next start`);
        // As the state machine's Catch: a step that failed every try fails the job, with why.
        options.log(`Job ${jobId} failed: a step failed every try: ${(error as Error)?.stack ?? reason}`);
        await failJobAfterStep(options.jobs(), jobId, reason, new Date().toISOString())
          .catch((cause: unknown) => options.log(`Job ${jobId} could not be marked failed; it resumes at the next start: ${String(cause)}`));
      })
      .finally(() => running.delete(jobId));
    running.set(jobId, done);
  };

  return {
    start,
    async resume() {
      const active = await options.jobs().listActive(RESUMED_JOBS);
      if (active.length > 0) options.log(`Resuming ${active.length} batch job(s) left queued or running`);
      for (const jobId of active) {
        const job = await options.jobs().get(jobId);
        // A mark whose job ended (or is gone) without dropping it: drop it now.
        if (!job || (job.state !== 'queued' && job.state !== 'running')) await options.jobs().dropActiveMark(jobId);
        else start(jobId);
      }
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running.values()]);
    },
    stop() {
      stopped = true;
    },
  };
}
