import type { JobRecord } from './job-records';

export const jobPath = (id: string): string => `/jobs/${id}`;

/**
 * Progress as of `now`: rows per second since the job started (done and failed rows, as both were
 * worked through), and the seconds left at that rate while it runs. Null before the first chunk
 * is counted, when there is no rate to go on.
 */
export function jobProgress(job: JobRecord, now: Date): { throughput: number | null; etaSeconds: number | null } {
  const worked = job.rowsDone + job.rowsFailed;
  if (!job.startedAt || worked === 0) return { throughput: null, etaSeconds: null };
  const end = job.finishedAt ? Date.parse(job.finishedAt) : now.getTime();
  const seconds = Math.max(0.001, (end - Date.parse(job.startedAt)) / 1000);
  const throughput = worked / seconds;
  const left = Math.max(0, (job.rowsTotal ?? worked) - worked);
  return { throughput: Math.round(throughput * 100) / 100, etaSeconds: job.state === 'running' ? Math.round(left / throughput) : null };
}

/** The Job component (functions/contracts/job-contracts.ts). */
export function jobView(job: JobRecord, now: Date) {
  const { throughput, etaSeconds } = jobProgress(job, now);
  return {
    id: job.id,
    model: job.model,
    version: job.version,
    dataset: job.dataset,
    columns: job.columns ?? null,
    keep: [...(job.keep ?? [])],
    output: { format: job.format },
    on_error: { mode: job.onError.mode, tolerated_percent: job.onError.toleratedPercent },
    state: job.state,
    reason: job.reason ?? null,
    rows_total: job.rowsTotal ?? null,
    rows_done: job.rowsDone,
    rows_failed: job.rowsFailed,
    chunks_total: job.chunksTotal ?? null,
    chunks_done: job.chunksDone,
    chunks_failed: job.chunksFailed,
    throughput,
    eta_seconds: etaSeconds,
    first_errors: job.firstErrors.map((error) => ({ row: error.row, error: error.error })),
    created: job.createdAt,
    started: job.startedAt ?? null,
    finished: job.finishedAt ?? null,
    results_url: `${jobPath(job.id)}/results`,
  };
}
