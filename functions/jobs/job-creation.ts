import { loadAuthorizedDataset } from '../datasets/authorized-dataset';
import type { DatasetStore } from '../datasets/dataset-store';
import { resolveSelection } from '../datasets/formats/column-selection';
import type { DatasetSchema } from '../datasets/formats/dataset-types';
import { AppError, conflict, invalid, notFound } from '../errors/app-error';
import type { PredictedVersion } from '../frameworks/predicted-versions';
import type { Actor } from '../identity/actor';
import { JOB_ID, newJobId, type JobRecord } from './job-records';
import type { JobStore } from './job-store';
import type { OutputFormat } from './outputs/output-format';

/** What POST /model/{name}/jobs takes, as its contract parsed it (functions/contracts/job-contracts.ts). */
export interface JobRequest {
  readonly dataset: string;
  readonly version?: number | undefined;
  readonly columns?: unknown;
  readonly keep?: readonly string[] | undefined;
  readonly output?: { readonly format?: OutputFormat | undefined } | undefined;
  readonly on_error?: { readonly mode?: 'fail' | 'skip' | undefined; readonly tolerated_percent?: number | undefined } | undefined;
}

export interface JobCreationDeps {
  readonly jobs: JobStore;
  readonly datasets: DatasetStore;
  /** The version a prediction by this caller would run on: predict's own lookup and access check (PredictedVersions.lookup). */
  readonly predictedVersion: (actor: Actor, name: string, requested?: number) => Promise<PredictedVersion>;
  /** Starts the job's run (job-execution.ts). */
  readonly start: (jobId: string) => Promise<void>;
  /** Whether `start` can start a run here (job-execution.ts jobExecutionAvailable). */
  readonly canStart: () => boolean;
  readonly now: () => Date;
}

/** Keys of a JSON Lines result line that no kept column may take (outputs/output-columns.ts). */
const RESULT_KEYS = ['row', 'output', 'outputs', 'label', 'probability'];

export const jobNotFound = (id: string) => notFound('job_not_found', `Job '${id.slice(0, 64)}' does not exist`);

/** A job of the caller's: another user's job does not exist for them (404), as an id MLHub could not have issued. */
export async function loadOwnJob(jobs: JobStore, actor: Actor, id: string): Promise<JobRecord> {
  if (!JOB_ID.test(id)) throw jobNotFound(id);
  const job = await jobs.get(id);
  if (!job || job.owner !== actor.id) throw jobNotFound(id);
  return job;
}

/**
 * Creates a queued job and starts it. Checks, in this order, each answering before anything is
 * written: the caller may predict with the model (404 model_not_found for one they cannot see,
 * 409 no_ready_bundle for nothing to run), the version that would run (predict's rule); the
 * caller may read the dataset (404 dataset_not_found), which is ready (409 dataset_not_ready);
 * `columns` and `keep` fit its schema (400 invalid_columns naming `columns[i]` or `keep[i]`); and
 * this deployment can run jobs at all (503 jobs_not_configured).
 */
export async function createJob(deps: JobCreationDeps, actor: Actor, modelName: string, request: JobRequest): Promise<JobRecord> {
  const { model, version } = await deps.predictedVersion(actor, modelName, request.version);
  const dataset = await loadAuthorizedDataset(deps.datasets, actor, request.dataset, 'view');
  if (dataset.status !== 'ready' || !dataset.schema) {
    throw conflict('dataset_not_ready', `Dataset '${dataset.id}' is ${dataset.status}${dataset.reason ? ` (${dataset.reason})` : ''}; a job reads a ready dataset`);
  }
  resolveSelection(dataset.schema as DatasetSchema, request.columns, request.keep);
  (request.keep ?? []).forEach((name, index) => {
    if (RESULT_KEYS.includes(name)) throw invalid('invalid_columns', `keep[${index}] names column "${name}", which the results use for their own column; rename it in the dataset`);
  });
  if (!deps.canStart()) throw new AppError('unavailable', 'jobs_not_configured', 'This deployment cannot run batch jobs: it has no job runner (MLHUB_JOB_STATE_MACHINE_ARN is not set; the stack sets it on the function that creates jobs)');
  const mode = request.on_error?.mode ?? 'fail';
  const now = deps.now().toISOString();
  const job: JobRecord = {
    id: newJobId(),
    owner: actor.id,
    model: model.name,
    version: version.version,
    dataset: dataset.id,
    ...(request.columns !== undefined ? { columns: request.columns } : {}),
    ...(request.keep !== undefined ? { keep: [...request.keep] } : {}),
    format: request.output?.format ?? 'jsonl',
    // skip without a percentage skips every bad row; fail tolerates none.
    onError: { mode, toleratedPercent: request.on_error?.tolerated_percent ?? (mode === 'skip' ? 100 : 0) },
    state: 'queued',
    createdAt: now,
    updatedAt: now,
    rowsDone: 0,
    rowsFailed: 0,
    chunksDone: 0,
    chunksFailed: 0,
    firstErrors: [],
  };
  await deps.jobs.put(job);
  await deps.start(job.id);
  return job;
}

/**
 * Cancels a job of the caller's: queued or running becomes cancelled (its workers stop between
 * batches; the finalizer removes its parts); a cancelled job answers as it is (idempotent); a job
 * that already succeeded or failed is 409 job_finished and stays as it was. A job cancelled while
 * queued is handed to `stopQueued` once the record says so (job-execution.ts stopQueuedJobExecution:
 * a best effort, since the record is what the steps obey).
 */
export async function cancelJob(jobs: JobStore, actor: Actor, id: string, now: Date, stopQueued?: (jobId: string) => Promise<unknown>): Promise<JobRecord> {
  const job = await loadOwnJob(jobs, actor, id);
  if (job.state === 'cancelled') return job;
  if (job.state === 'succeeded' || job.state === 'failed') throw conflict('job_finished', `Job '${id}' has already ${job.state}; there is nothing to cancel`);
  const outcome = { state: 'cancelled', reason: 'cancelled by its owner' } as const;
  // From queued first, to know the run had written no parts when it is stopped.
  const fromQueued = job.state === 'queued' && await jobs.finish(id, ['queued'], outcome, now.toISOString());
  if (fromQueued) await stopQueued?.(id);
  else if (!(await jobs.finish(id, ['queued', 'running'], outcome, now.toISOString()))) {
    const again = await loadOwnJob(jobs, actor, id);
    if (again.state === 'cancelled') return again;
    throw conflict('job_finished', `Job '${id}' has already ${again.state}; there is nothing to cancel`);
  }
  return loadOwnJob(jobs, actor, id);
}
