import type { ChunkOutcome, JobRecord, JobState } from './job-records';

/** One page of a listing, newest first; `last` is the sort key after which the next page starts. */
export interface JobPage {
  readonly jobs: readonly JobRecord[];
  readonly last?: string;
}

/** What the plan fixes on a job as it starts it running. */
export interface JobStart {
  readonly rowsTotal: number;
  readonly chunksTotal: number;
  readonly outputColumns: JobRecord['outputColumns'];
  readonly startedAt: string;
}

/**
 * Persistence for batch jobs. Every change of state is one conditional write on the job's record,
 * so a cancel racing a finalizer cannot both win. A chunk's completion is counted once however
 * often the chunk runs (a retry after a crash): `recordChunk` writes the chunk's own item, then
 * moves the job's counters with a write conditioned on the chunk not being counted yet, and both
 * writes are idempotent, so a crash between them is mended by the chunk's next run.
 */
export interface JobStore {
  /** Records a new queued job; fails if the id exists. */
  put(job: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | undefined>;
  /** The owner's jobs, newest first, `limit` at most, strictly below `before`. */
  listByOwner(owner: string, query: { readonly limit: number; readonly before?: string }): Promise<JobPage>;
  /** Jobs not yet final (queued or running), for a runner that restarts: at most `limit`. */
  listActive(limit: number): Promise<readonly string[]>;
  /** queued (or running again, after a restart) to running with the plan's totals; false if the job is in neither state. */
  start(id: string, start: JobStart, now: string): Promise<boolean>;
  /**
   * Counts a chunk's first completion: true if this call counted it, false if it was counted
   * before (its rows are then not added again). Counts on a job in any state but a final one.
   */
  recordChunk(id: string, outcome: ChunkOutcome, now: string): Promise<boolean>;
  /** The chunks counted so far, ascending. */
  countedChunks(id: string): Promise<readonly number[]>;
  /** The first errors over every chunk, in row order, at most `limit`. */
  firstErrors(id: string, limit: number): Promise<JobRecord['firstErrors']>;
  /** Sets the record's first errors (the finalizer: exact, by row, from the chunk items). */
  setFirstErrors(id: string, errors: JobRecord['firstErrors']): Promise<void>;
  /** Drops the resume mark of a job that is final or gone (a restarted runner found it so). */
  dropActiveMark(id: string): Promise<void>;
  /** Moves a job from one of `from` to a final state; false if it was in none of them. */
  finish(id: string, from: readonly JobState[], outcome: JobOutcome, now: string): Promise<boolean>;
}

/**
 * How a job ends. The counts and first errors are set by an end that did not go through the
 * chunks (a plan that found no row to predict); otherwise the chunks' completions set them.
 */
export interface JobOutcome {
  readonly state: 'succeeded' | 'failed' | 'cancelled';
  readonly reason?: string;
  readonly resultsKey?: string;
  readonly errorsKey?: string;
  readonly rowsTotal?: number;
  readonly rowsFailed?: number;
  readonly firstErrors?: JobRecord['firstErrors'];
}
