import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { BundleStore } from '../bundles/bundle-store';
import type { DatasetRecord } from '../datasets/dataset-records';
import type { DatasetStore } from '../datasets/dataset-store';
import { resolveSelection, type ResolvedSelection } from '../datasets/formats/column-selection';
import type { ChunkRow, DatasetChunk, DatasetInspection, DatasetLayout } from '../datasets/formats/dataset-types';
import { planChunks } from '../datasets/formats/plan-chunks';
import { readChunk } from '../datasets/formats/read-chunk';
import { FIRST_ERRORS_LIMIT, type ChunkOutcome, type JobRecord, type RowError } from './job-records';
import type { JobStore } from './job-store';
import { manifestKey, planKey } from './job-keys';
import { readPlanDocument, writePlanDocument, type JobPlanDocument } from './job-plan-document';
import type { JobSettings } from './job-settings';
import { assembleResults } from './outputs/assemble-results';
import { errorsKey, partsPrefix } from './outputs/job-output-keys';
import { outputColumnsFromPrediction, type KeptColumn, type OutputColumns } from './outputs/output-columns';
import { checkColumnCount, createPartWriter, TooManyColumns } from './outputs/part-writer';
import { storePart } from './outputs/part-store';
import { isBadInput, predictRows, type Predict } from './row-predictions';
import { s3RangeSource } from './s3-range-source';

export interface JobStepDeps {
  readonly jobs: JobStore;
  readonly datasets: Pick<DatasetStore, 'get'>;
  readonly objects: BundleStore;
  /** The bucket's client and name, for the assembler's multipart copy. */
  readonly s3: { readonly client: S3Client; readonly bucket: string };
  /** The predict function of the job's model and version, and whether the version has labels. */
  readonly predictorFor: (job: JobRecord) => Promise<{ readonly predict: Predict; readonly labelled: boolean }>;
  readonly settings: JobSettings;
  readonly now: () => Date;
}

/**
 * Step Functions state payloads stay small (256 KB): ids, keys and counts, never rows. The job
 * state machine (lib/jobs/job-state-machine.ts), as the local runner (local/jobs/) plays it too:
 *   Plan (planJob, input {jobId}) → Choice on $.state = "running"
 *   → Chunks: Distributed Map, ItemReader JSONL from $.manifest.bucket/$.manifest.key,
 *     ItemSelector {jobId, chunk: $$.Map.Item.Value}, MaxConcurrency from the stack's jobConcurrency,
 *     runJobChunk with Retry (functions/jobs/job-retries.ts) and a Catch that runs runJobChunk again
 *     with `failure` (the error's Cause), so a chunk that fails every try counts its rows as failed;
 *     ToleratedFailurePercentage 0 (a chunk failing even that rerun fails the map, as locally; the
 *     rows' tolerance is on_error's, decided by finalizeJob); ResultWriter to jobs/<id>/map/
 *   → Finalize (finalizeJob, input {jobId}); a Catch on Plan, the map and Finalize runs the
 *     finalizer with the failure, which fails the job with the cause, so it never stays running.
 * The POST route starts it with StartExecution named by the job id (job-execution.ts).
 */
export interface PlanJobInput { readonly jobId: string }
export interface PlanJobOutput {
  readonly jobId: string;
  /** The manifest for the Distributed Map's ItemReader (JSONL, one chunk per line). */
  readonly manifest: { readonly bucket: string; readonly key: string };
  readonly chunkCount: number;
  /** running: go on to the chunks; anything else: the job ended during the plan (skip to the end). */
  readonly state: JobRecord['state'];
}
export interface RunJobChunkInput {
  readonly jobId: string;
  /** One line of the manifest (DatasetChunk: under 1 KB). */
  readonly chunk: DatasetChunk;
  /** Set when every try of the chunk failed: its rows are written as failed rows with this reason, and it counts. */
  readonly failure?: string;
}
export interface RunJobChunkOutput {
  readonly jobId: string;
  readonly chunk: number;
  readonly rows: number;
  readonly failed: number;
  /** False when the chunk had been counted before (a rerun), or the job was no longer running. */
  readonly counted: boolean;
  readonly stopped?: 'cancelled' | 'not_running';
}
export interface FinalizeJobInput { readonly jobId: string }
export interface FinalizeJobOutput { readonly jobId: string; readonly state: JobRecord['state'] }

/** Rows tried at most for the first prediction that fixes the output columns. */
const PROBE_ROWS = 100;
/** Rows read at most (unreadable ones too) looking for them: the plan must end well inside its step's time. */
const PROBE_READ_ROWS = 10_000;

/**
 * How often, at most, a chunk's worker reads the job's state between batches (and once more
 * before it writes its part), so a cancel stops it within about this long plus one batch: a read
 * per batch cost more than the batch on a cheap model (bench/results/batch.md).
 */
const STATE_CHECK_MS = 1000;

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').slice(0, 500);

/**
 * A fault of the plan no retry mends: the job fails with it as its reason. `rowErrors` are the
 * rows the plan tried and could not predict: written as the job's errors.jsonl and counted as its
 * failed rows, so a job that failed for its rows says which rows, as one that ran would.
 */
export class JobPlanFailure extends Error {
  override readonly name = 'JobPlanFailure';
  constructor(message: string, readonly rowErrors: readonly RowError[] = [], readonly rowsTotal?: number) {
    super(message);
  }
}

function keptColumns(inspection: DatasetInspection, selection: ResolvedSelection): KeptColumn[] {
  const schema = inspection.schema;
  return selection.keep.map((name) => {
    const column = schema.kind === 'columns' ? schema.columns.find((candidate) => candidate.name === name) : undefined;
    return { name, type: column?.type ?? (schema.kind === 'images' ? 'string' : 'mixed') };
  });
}

/**
 * The job's steps, as the state machine runs them (planJob, then runJobChunk for every line of
 * the manifest, then finalizeJob) and the local runner runs them the same way. Each step is
 * idempotent: run again (a retry, a restart), it does no more than it did.
 */
export class JobSteps {
  constructor(private readonly deps: JobStepDeps) {}

  private stamp(): string {
    return this.deps.now().toISOString();
  }

  /**
   * Reads the dataset's layout, cuts it into chunks (planChunks), fixes the output columns from the
   * first row the model predicts, writes the plan and the manifest, and moves the job to running.
   * A job no longer queued or running is left as it is; a plan that cannot be made (the dataset
   * deleted, no row predicted) fails the job with the reason. Other errors throw, to be retried.
   */
  async planJob(input: PlanJobInput): Promise<PlanJobOutput> {
    const { jobs, objects, s3, settings } = this.deps;
    const job = await jobs.get(input.jobId);
    const manifest = { bucket: s3.bucket, key: manifestKey(input.jobId) };
    if (!job || (job.state !== 'queued' && job.state !== 'running')) return { jobId: input.jobId, manifest, chunkCount: 0, state: job?.state ?? 'failed' };
    try {
      // A plan run again (a retry, a restart) keeps the manifest and plan it wrote: chunks were
      // counted against them, whatever the settings are now.
      let chunks = await this.storedManifest(job.id);
      let plan = chunks ? await this.storedPlan(job.id) : undefined;
      if (!chunks || !plan) {
        const dataset = await this.deps.datasets.get(job.dataset);
        if (!dataset || dataset.status !== 'ready' || !dataset.layoutKey || !dataset.schema) throw new JobPlanFailure(`Dataset '${job.dataset}' was deleted or is no longer ready`);
        const inspection = await this.inspectionOf(dataset);
        const sourceKey = dataset.readsFrom === 'plain' && dataset.plainKey ? dataset.plainKey : dataset.dataKey;
        const stored = await objects.stat(sourceKey);
        if (!stored) throw new JobPlanFailure(`Dataset '${job.dataset}' has lost its bytes (${sourceKey})`);
        const source = { key: sourceKey, size: stored.size, ...(sourceKey === dataset.dataKey && dataset.pin ? { pin: dataset.pin } : {}) };
        const selection = resolveSelection(inspection.schema, job.columns, job.keep);
        if (!chunks) {
          const planned = planChunks(inspection, { maxRows: settings.chunkRows, maxBytes: settings.chunkBytes });
          await this.putOnce(manifest.key, Buffer.from(planned.map((chunk) => `${JSON.stringify(chunk)}\n`).join('')));
          chunks = (await this.storedManifest(job.id))!;
        }
        const outputColumns = await this.probeOutputColumns(job, inspection, chunks, source, selection);
        try {
          checkColumnCount(job.format, outputColumns);
        } catch (error) {
          throw error instanceof TooManyColumns ? new JobPlanFailure(error.message) : error;
        }
        await writePlanDocument(objects, job.id, { inspection, source, selection, outputColumns, format: job.format }).catch(ignoreWrittenBefore);
        plan = (await this.storedPlan(job.id))!;
      }
      const started = await jobs.start(job.id, { rowsTotal: plan.inspection.rowCount, chunksTotal: chunks.length, outputColumns: plan.outputColumns, startedAt: this.stamp() }, this.stamp());
      return { jobId: job.id, manifest, chunkCount: chunks.length, state: started ? 'running' : (await jobs.get(job.id))?.state ?? 'failed' };
    } catch (error) {
      if (!(error instanceof JobPlanFailure) && !isBadInput(error)) throw error;
      const rowErrors = error instanceof JobPlanFailure ? error.rowErrors : [];
      let rows = {};
      if (rowErrors.length > 0) {
        const lines = Buffer.from(rowErrors.map((rowError) => `${JSON.stringify(rowError)}\n`).join(''));
        await objects.put(errorsKey(job.id), lines, createHash('sha256').update(lines).digest('hex')).catch(ignoreWrittenBefore);
        const { rowsTotal } = error as JobPlanFailure;
        rows = { errorsKey: errorsKey(job.id), rowsFailed: rowErrors.length, firstErrors: rowErrors.slice(0, FIRST_ERRORS_LIMIT), ...(rowsTotal !== undefined ? { rowsTotal } : {}) };
      }
      await jobs.finish(job.id, ['queued', 'running'], { state: 'failed', reason: oneLine(error.message), ...rows }, this.stamp());
      return { jobId: job.id, manifest, chunkCount: 0, state: 'failed' };
    }
  }

  /** The manifest's chunks, or undefined before it is written. */
  private async storedManifest(jobId: string): Promise<DatasetChunk[] | undefined> {
    if (!(await this.deps.objects.stat(manifestKey(jobId)))) return undefined;
    const text = (await this.deps.objects.get(manifestKey(jobId))).toString('utf8');
    return text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as DatasetChunk);
  }

  private async storedPlan(jobId: string): Promise<JobPlanDocument | undefined> {
    return (await this.deps.objects.stat(planKey(jobId))) ? readPlanDocument(this.deps.objects, jobId) : undefined;
  }

  /** Keys are written once (BundleStore.put): a planner that lost the race reads the winner's. */
  private async putOnce(key: string, bytes: Buffer): Promise<void> {
    await this.deps.objects.put(key, bytes, createHash('sha256').update(bytes).digest('hex')).catch(ignoreWrittenBefore);
  }

  private async inspectionOf(dataset: DatasetRecord): Promise<DatasetInspection> {
    const layout = JSON.parse((await this.deps.objects.get(dataset.layoutKey!)).toString('utf8')) as DatasetLayout;
    return {
      format: dataset.format!, compression: dataset.compression ?? 'none', rowCount: dataset.rowCount ?? 0,
      schema: dataset.schema as DatasetInspection['schema'], readsFrom: dataset.readsFrom ?? 'data', layout,
    };
  }

  /**
   * The output columns, from the first row the model predicts: of the first PROBE_ROWS readable
   * rows, within the first PROBE_READ_ROWS. When none is, the plan fails naming the first row's
   * error, with every row it tried as a row error (JobPlanFailure.rowErrors).
   */
  private async probeOutputColumns(job: JobRecord, inspection: DatasetInspection, chunks: readonly DatasetChunk[], source: JobPlanDocument['source'], selection: ResolvedSelection): Promise<OutputColumns> {
    const { predict, labelled } = await this.deps.predictorFor(job);
    const range = s3RangeSource(this.deps.objects, source.key, source.size, source.pin);
    let tried = 0;
    const rowErrors: RowError[] = [];
    const failure = (what: string): JobPlanFailure => {
      const first = rowErrors[0];
      return new JobPlanFailure(`${what}${first ? `; the first, row ${first.row}: ${first.error}` : ''} (see errors.jsonl). The output's columns come from the first row predicted`, rowErrors, inspection.rowCount);
    };
    // A line format is read checkpoint span by span (thousands of rows), not chunk by chunk (tens of MB): one row is wanted.
    const probed = inspection.layout.kind === 'lines' ? planChunks(inspection, { maxRows: PROBE_ROWS, maxBytes: this.deps.settings.chunkBytes }) : chunks;
    for (const chunk of probed) {
      for await (const row of readChunk(inspection, chunk, range, selection)) {
        if (row.error) rowErrors.push({ row: row.row, error: row.error });
        else {
          const [outcome] = await predictRows([row], predict);
          tried += 1;
          if (outcome && 'prediction' in outcome) {
            return outputColumnsFromPrediction(outcome.prediction, { kept: keptColumns(inspection, selection), labelled: labelled || outcome.prediction.label !== undefined });
          }
          if (outcome) rowErrors.push({ row: row.row, error: outcome.error });
        }
        if (tried >= PROBE_ROWS || rowErrors.length >= PROBE_READ_ROWS) throw failure(`None of the first ${rowErrors.length} rows could be predicted`);
      }
    }
    throw failure(`No row of the dataset could be predicted (${rowErrors.length} rows)`);
  }

  /**
   * One chunk: reads its rows by ranged GETs, predicts them in batches (settings.batchRows), writes
   * its part and error part under their fixed keys (a rerun overwrites them), and counts the chunk
   * once. Stops, writing nothing, when the job is no longer running (cancelled) between batches.
   */
  async runJobChunk(input: RunJobChunkInput): Promise<RunJobChunkOutput> {
    const { jobs, objects, s3, settings } = this.deps;
    const { jobId, chunk } = input;
    const stopped = (state: 'cancelled' | 'not_running'): RunJobChunkOutput => ({ jobId, chunk: chunk.index, rows: 0, failed: 0, counted: false, stopped: state });
    const job = await jobs.get(jobId);
    if (!job || job.state !== 'running') return stopped(job?.state === 'cancelled' ? 'cancelled' : 'not_running');
    const plan = await readPlanDocument(objects, jobId);
    const writer = createPartWriter(plan.format, plan.outputColumns, chunk.index);
    if (input.failure !== undefined && await this.failedForLostDataset(job)) return stopped('not_running');
    if (input.failure !== undefined) {
      for (let row = chunk.rowStart; row < chunk.rowStart + chunk.rowCount; row += 1) writer.fail({ row, error: `the chunk of rows ${chunk.rowStart} to ${chunk.rowStart + chunk.rowCount - 1} failed every try: ${oneLine(input.failure)}` });
    } else {
      const { predict } = await this.deps.predictorFor(job);
      const source = s3RangeSource(objects, plan.source.key, plan.source.size, plan.source.pin);
      let pending: ChunkRow[] = [];
      let readable = 0;
      let checkedAt = performance.now();
      const flush = async (last = false): Promise<boolean> => {
        if (last || performance.now() - checkedAt >= STATE_CHECK_MS) {
          checkedAt = performance.now();
          if ((await jobs.get(jobId))?.state !== 'running') return false;
        }
        const outcomes = await predictRows(pending.filter((row) => !row.error), predict);
        let next = 0;
        for (const row of pending) {
          if (row.error) {
            writer.fail({ row: row.row, error: row.error });
            continue;
          }
          const outcome = outcomes[next++]!;
          if ('prediction' in outcome) writer.add({ row: row.row, prediction: outcome.prediction, ...(row.kept ? { kept: row.kept } : {}) });
          else writer.fail({ row: row.row, error: outcome.error });
        }
        pending = [];
        readable = 0;
        return true;
      };
      try {
        for await (const row of readChunk(plan.inspection, chunk, source, plan.selection)) {
          pending.push(row);
          if (!row.error) readable += 1;
          if (readable >= settings.batchRows && !(await flush())) return stopped('cancelled');
        }
        if (!(await flush(true))) return stopped('cancelled');
      } catch (error) {
        // Reading failed: a dataset deleted mid-job ends the job now, rather than after every try
        // of every chunk with S3's words as each row's error; anything else is retried.
        if (await this.failedForLostDataset(job)) return stopped('not_running');
        throw error;
      }
    }
    const part = writer.finish();
    await storePart(s3.client, s3.bucket, { jobId, chunk: chunk.index, format: plan.format }, part);
    const outcome: ChunkOutcome = { chunk: chunk.index, rows: part.rows, failed: part.failed, errors: firstErrorLines(part.errors), ...(input.failure !== undefined ? { gaveUp: true } : {}) };
    const counted = await jobs.recordChunk(jobId, outcome, this.stamp());
    return { jobId, chunk: chunk.index, rows: part.rows, failed: part.failed, counted };
  }

  /**
   * Fails the job, true, when its dataset is gone or no longer ready (deleted while the job ran):
   * no try of any chunk can read it again.
   */
  private async failedForLostDataset(job: JobRecord): Promise<boolean> {
    const dataset = await this.deps.datasets.get(job.dataset);
    if (dataset?.status === 'ready') return false;
    await this.deps.jobs.finish(job.id, ['running'], { state: 'failed', reason: `Dataset '${job.dataset}' was deleted while the job ran; the rows not yet predicted cannot be read` }, this.stamp());
    return true;
  }

  /**
   * Ends the job: assembles the parts of the chunks counted into results.<ext> and errors.jsonl,
   * then decides (job-outcome.ts). A job already final is left as it is; a cancelled job's parts go.
   */
  async finalizeJob(input: FinalizeJobInput): Promise<FinalizeJobOutput> {
    const { jobs, objects, s3 } = this.deps;
    const job = await jobs.get(input.jobId);
    if (!job) return { jobId: input.jobId, state: 'failed' };
    if (job.state === 'cancelled' || (job.state === 'failed' && job.resultsKey === undefined)) {
      // Ended without an assembly (cancelled, or failed mid-run by a lost dataset): its parts are nobody's.
      await objects.deletePrefix(partsPrefix(job.id));
      return { jobId: job.id, state: job.state };
    }
    if (job.state !== 'running') return { jobId: job.id, state: job.state };
    const counted = await jobs.countedChunks(job.id);
    await jobs.setFirstErrors(job.id, await jobs.firstErrors(job.id, FIRST_ERRORS_LIMIT));
    const verdict = jobVerdict(job, counted.length);
    let keys: { resultsKey?: string; errorsKey?: string } = {};
    if (counted.length > 0 && job.outputColumns) {
      const assembly = await assembleResults({ client: s3.client, bucket: s3.bucket, jobId: job.id, format: job.format, chunks: counted });
      keys = { resultsKey: assembly.results.key, errorsKey: assembly.errors.key };
    }
    const moved = await jobs.finish(job.id, ['running'], { ...verdict, ...keys }, this.stamp());
    if (moved) await objects.deletePrefix(partsPrefix(job.id));
    return { jobId: job.id, state: moved ? verdict.state : (await jobs.get(job.id))?.state ?? verdict.state };
  }
}

/** S3's 412 to a write with If-None-Match: the key was written before, by an earlier run of the step. */
function ignoreWrittenBefore(error: unknown): void {
  const name = (error as { name?: string })?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (name === 'PreconditionFailed' || status === 412) return;
  throw error;
}

function firstErrorLines(errors: Buffer): RowError[] {
  const lines: RowError[] = [];
  let start = 0;
  while (lines.length < FIRST_ERRORS_LIMIT && start < errors.length) {
    const end = errors.indexOf(0x0a, start);
    const line = errors.subarray(start, end === -1 ? errors.length : end).toString('utf8');
    if (line) lines.push(JSON.parse(line) as RowError);
    start = end === -1 ? errors.length : end + 1;
  }
  return lines;
}

/**
 * Whether a job that ran to its end succeeded: failed when a chunk was never counted, when mode
 * is `fail` and any row failed, or when the failed rows are more than `tolerated_percent` of all
 * rows (SageMaker Batch Transform's and Step Functions' ToleratedFailurePercentage read so: the
 * share that may fail, failing only past it).
 */
export function jobVerdict(job: Pick<JobRecord, 'rowsTotal' | 'rowsFailed' | 'chunksTotal' | 'onError'>, countedChunks: number): { state: 'succeeded' | 'failed'; reason?: string } {
  const total = job.rowsTotal ?? 0;
  if (job.rowsFailed > 0 && job.onError.mode === 'fail') return { state: 'failed', reason: `${job.rowsFailed} of ${total} rows failed, and on_error.mode is fail (see errors.jsonl)` };
  if (total > 0 && (job.rowsFailed / total) * 100 > job.onError.toleratedPercent) {
    return { state: 'failed', reason: `${job.rowsFailed} of ${total} rows failed (${((job.rowsFailed / total) * 100).toFixed(2)}%), over the tolerated ${job.onError.toleratedPercent}% (see errors.jsonl)` };
  }
  if (countedChunks < (job.chunksTotal ?? 0)) return { state: 'failed', reason: `${(job.chunksTotal ?? 0) - countedChunks} of ${job.chunksTotal} chunks never completed` };
  return { state: 'succeeded' };
}

/** Whether a running job can no longer succeed, so a runner may stop starting its chunks. */
export function jobDoomed(job: Pick<JobRecord, 'rowsTotal' | 'rowsFailed' | 'onError'>): boolean {
  const total = job.rowsTotal ?? 0;
  if (job.rowsFailed > 0 && job.onError.mode === 'fail') return true;
  return total > 0 && (job.rowsFailed / total) * 100 > job.onError.toleratedPercent;
}
