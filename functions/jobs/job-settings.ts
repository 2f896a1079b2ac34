import { integerFromEnv } from '../platform/env-values';

/** Environment variables of the job functions (the stack sets them; the local runtime passes its own environment). */
export const JOB_ENV = {
  batchRows: 'MLHUB_JOB_BATCH_ROWS',
  chunkRows: 'MLHUB_JOB_CHUNK_ROWS',
  chunkBytes: 'MLHUB_JOB_CHUNK_BYTES',
  concurrency: 'MLHUB_JOB_CONCURRENCY',
} as const;

export interface JobSettings {
  /** Rows per call of the inference engine (one tensor of this many rows). */
  readonly batchRows: number;
  /**
   * A chunk's bounds (functions/datasets/formats/plan-chunks.ts): rows and bytes of the object it
   * reads. 50,000 rows of 784 floats run in about 10 s on one core of ONNX Runtime, and even a
   * remote backend at 1,000 rows/s finishes such a chunk in under a minute: well inside the
   * worker's 15 minutes, with room for its retries.
   */
  readonly chunkRows: number;
  readonly chunkBytes: number;
  /** Chunks run at once (the Distributed Map's MaxConcurrency; the local runner's pool). */
  readonly concurrency: number;
}

export const DEFAULT_JOB_SETTINGS: JobSettings = { batchRows: 256, chunkRows: 50_000, chunkBytes: 64 * 1024 * 1024, concurrency: 2 };

export function loadJobSettings(env: NodeJS.ProcessEnv = process.env): JobSettings {
  return {
    batchRows: integerFromEnv(env, JOB_ENV.batchRows, DEFAULT_JOB_SETTINGS.batchRows, { max: 100_000 }),
    chunkRows: integerFromEnv(env, JOB_ENV.chunkRows, DEFAULT_JOB_SETTINGS.chunkRows),
    chunkBytes: integerFromEnv(env, JOB_ENV.chunkBytes, DEFAULT_JOB_SETTINGS.chunkBytes),
    concurrency: integerFromEnv(env, JOB_ENV.concurrency, DEFAULT_JOB_SETTINGS.concurrency, { max: 1000 }),
  };
}
