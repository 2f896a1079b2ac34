import { randomBytes } from 'node:crypto';
import type { OutputColumns } from './outputs/output-columns';
import type { OutputFormat } from './outputs/output-format';

/**
 * A batch job's life (issue 15), every move a conditional write on its record:
 *
 *   queued ──▶ running ──▶ succeeded
 *     │           ├──────▶ failed      (too many bad rows for on_error, a chunk that failed every try,
 *     │           │                     or a fault of the plan: the dataset gone, no row predicted)
 *     └───────────┴──────▶ cancelled   (DELETE /jobs/{id}; the workers stop between batches)
 *
 * succeeded, failed and cancelled are final: nothing moves a job out of them.
 */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const ACTIVE_STATES: readonly JobState[] = ['queued', 'running'];
export const isFinal = (state: JobState): boolean => FINAL_STATES.includes(state);

/** `job_` and 24 hex digits (96 random bits): an id is never guessed, so knowing one proves nothing. */
export const JOB_ID = /^job_[0-9a-f]{24}$/;
export const newJobId = (): string => `job_${randomBytes(12).toString('hex')}`;

/**
 * What to do with rows that cannot be predicted (SageMaker Batch Transform's "max failed
 * percentage", MLflow's error handling): `skip` writes them to errors.jsonl and goes on, the job
 * failing only past `toleratedPercent` of its rows; `fail` fails the job at the first one.
 */
export interface OnError {
  readonly mode: 'fail' | 'skip';
  /** 0 to 100: the share of rows that may fail, in percent, for the job still to succeed (mode skip). */
  readonly toleratedPercent: number;
}

/** A row that failed, and why (one line): the first ones a job met are on its record. */
export interface RowError {
  readonly row: number;
  readonly error: string;
}

/** Errors kept on the record, at most (the rest are in errors.jsonl). */
export const FIRST_ERRORS_LIMIT = 10;

export interface JobRecord {
  readonly id: string;
  /** The user id of its creator: the only one who may see or cancel it. */
  readonly owner: string;
  readonly model: string;
  /** The version it runs, resolved when it was created as predict resolves it (the latest ready one when not named). */
  readonly version: number;
  readonly dataset: string;
  /** `columns` and `keep` as the caller sent them (checked against the dataset's schema: functions/datasets/formats/column-selection.ts). */
  readonly columns?: unknown;
  readonly keep?: readonly string[];
  readonly format: OutputFormat;
  readonly onError: OnError;
  readonly state: JobState;
  /** Why it failed or was cancelled. */
  readonly reason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Set by the plan: rows in the dataset, chunks in the manifest. */
  readonly rowsTotal?: number;
  readonly chunksTotal?: number;
  /** Moved only by the first completion of each chunk (JobStore.recordChunk). */
  readonly rowsDone: number;
  readonly rowsFailed: number;
  readonly chunksDone: number;
  /** Chunks whose every try failed: their rows count as failed. */
  readonly chunksFailed: number;
  readonly firstErrors: readonly RowError[];
  /** The result columns every part is written against, fixed by the plan. */
  readonly outputColumns?: OutputColumns;
  /** S3 keys of the assembled files, once succeeded. */
  readonly resultsKey?: string;
  readonly errorsKey?: string;
}

/** One chunk's outcome, as its first completion records it. */
export interface ChunkOutcome {
  readonly chunk: number;
  readonly rows: number;
  readonly failed: number;
  /** The chunk's first errors, in row order (at most FIRST_ERRORS_LIMIT). */
  readonly errors: readonly RowError[];
  /** True when every try failed and its rows were written as failed rows. */
  readonly gaveUp?: boolean;
}
