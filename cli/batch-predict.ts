import { rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { modelPath, type ApiClient } from './api-client';
import type { Dataset, Job, JobResults } from './api-types';
import { replaceWhole } from './atomic-file';
import { CliError } from './cli-error';
import { describeDataset, readyOrThrow, uploadDataset, type DatasetUploadEvents } from './dataset-upload';
import { downloadToFile } from './file-transfer';
import type { ProgressSink } from './job-progress';

/** The result formats a job writes (README "Batch prediction results"), by --out's extension. */
export const RESULT_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export interface BatchOptions {
  /** A file to upload as a new dataset (or resume uploading); or `datasetId`, one uploaded before. */
  readonly dataset?: string;
  readonly datasetId?: string;
  readonly out: string;
  readonly format?: ResultFormat;
  readonly version?: number;
  /** Input columns in the model's order (`a,b,c`), or named inputs as a JSON object (`{"x": ["a", "b"]}`). */
  readonly columns?: string;
  /** Input columns written beside the predictions (`id,name`). */
  readonly keep?: string;
  readonly onError?: 'skip' | 'fail';
  /** With --on-error skip: the percentage of failed rows the job tolerates before it fails. */
  readonly tolerate?: number;
  readonly parallel: number;
}

export interface BatchSinks {
  /** A line for the person watching (the dataset, the job started, the files written); quiet for --json. */
  readonly notice: (line: string) => void;
  readonly progress: ProgressSink;
  readonly upload?: DatasetUploadEvents & { done?(): void };
}

export interface BatchResult {
  readonly model: string;
  readonly version: number;
  readonly dataset: { readonly id: string; readonly row_count: number | null; readonly schema: Dataset['schema'] };
  readonly job: string;
  readonly state: 'succeeded';
  readonly format: ResultFormat;
  readonly out: string;
  readonly rows_done: number;
  readonly rows_failed: number;
  /** `<out>.errors.jsonl` when rows failed, else null. */
  readonly errors_file: string | null;
  readonly throughput: number | null;
  readonly seconds: number;
}

const POLL_MS = 500;

/**
 * The format to write, from --format or --out's extension (.csv, .jsonl, .parquet); both given,
 * they must agree. Throws a CliError naming the flag when neither tells it.
 */
export function resultFormat(out: string, format?: string): ResultFormat {
  const extension = extname(out).slice(1).toLowerCase();
  const fromName = (RESULT_FORMATS as readonly string[]).includes(extension) ? extension as ResultFormat : undefined;
  if (format !== undefined && !(RESULT_FORMATS as readonly string[]).includes(format)) throw new CliError(`--format must be one of ${RESULT_FORMATS.join(', ')}, not ${format}`);
  if (format !== undefined && fromName !== undefined && format !== fromName) throw new CliError(`--format ${format} does not match --out ${out} (a .${fromName} file); name the file .${format}, or drop --format`);
  const chosen = (format as ResultFormat | undefined) ?? fromName;
  if (!chosen) throw new CliError(`Cannot tell the results format from --out ${out}: name it .csv, .jsonl or .parquet, or give --format`);
  return chosen;
}

/** --columns as the job's `columns`: a JSON object of named inputs, or a comma-separated list. */
export function parseColumns(text: string): string[] | Record<string, unknown> {
  if (text.trim().startsWith('{')) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new CliError('--columns must be a list such as a,b,c or a JSON object of named inputs such as \'{"x": ["a", "b"]}\'');
    }
  }
  return commaList(text);
}

export const commaList = (text: string): string[] => text.split(',').map((name) => name.trim()).filter((name) => name.length > 0);

/**
 * Predicts a whole dataset with a model (issue 15; README "Batch predictions"): uploads the file
 * as a dataset (or takes one by id), starts `POST /model/{name}/jobs`, follows `GET /jobs/{id}`
 * until it ends, drawing its progress, and downloads the assembled results to `out` (whole or not
 * at all), with the per-row errors to `<out>.errors.jsonl` when rows failed. Ctrl-C while the job
 * runs cancels it (`DELETE /jobs/{id}`) and exits 130. A failed or cancelled job throws a
 * CliError with its reason, `out` untouched.
 */
export async function batchPredict(api: ApiClient, name: string, options: BatchOptions, sinks: BatchSinks): Promise<BatchResult> {
  const format = resultFormat(options.out, options.format);
  const columns = options.columns === undefined ? undefined : parseColumns(options.columns);
  const started = Date.now();
  // A model the caller cannot predict with is told before a large file is uploaded for nothing.
  await api.json('GET', modelPath(name));

  let dataset: Dataset;
  if (options.datasetId !== undefined) {
    dataset = readyOrThrow(await api.json<Dataset>('GET', `/datasets/${encodeURIComponent(options.datasetId)}`));
  } else {
    const uploaded = await uploadDataset(api, options.dataset as string, { parallel: options.parallel, ...(sinks.upload ? { events: sinks.upload } : {}) });
    sinks.upload?.done?.();
    dataset = uploaded.dataset;
    if (uploaded.resumed) sinks.notice(`Resumed the upload of ${dataset.filename}: ${uploaded.partsSkipped} part(s) were already there, ${uploaded.partsSent} sent`);
  }
  sinks.notice(describeDataset(dataset));

  const body = {
    dataset: dataset.id,
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(columns !== undefined ? { columns } : {}),
    ...(options.keep !== undefined ? { keep: commaList(options.keep) } : {}),
    output: { format },
    ...(options.onError !== undefined || options.tolerate !== undefined
      ? { on_error: { ...(options.onError ? { mode: options.onError } : {}), ...(options.tolerate !== undefined ? { tolerated_percent: options.tolerate } : {}) } }
      : {}),
  };
  let job = await api.json<Job>('POST', `${modelPath(name)}/jobs`, { json: body });
  sinks.notice(`Started job ${job.id}: ${name} v${job.version} over ${dataset.id}; Ctrl-C cancels it`);

  job = await follow(api, job, dataset.row_count, sinks.progress, options.out);
  const errorsFile = `${options.out}.errors.jsonl`;
  if (job.state === 'cancelled') throw new CliError(`Job ${job.id} was cancelled; nothing was written to ${options.out}`);
  if (job.state === 'failed') {
    const files = await api.json<JobResults>('GET', `/jobs/${job.id}/results`);
    const saved = job.rows_failed > 0 && files.errors ? await save(files.errors.url, errorsFile) : false;
    throw new CliError(`Job ${job.id} failed: ${job.reason ?? 'no reason given'}${saved ? `; the failed rows are in ${errorsFile}` : ''}; nothing was written to ${options.out}`);
  }

  const files = await api.json<JobResults>('GET', `/jobs/${job.id}/results`);
  if (!files.results) throw new CliError(`Job ${job.id} succeeded but MLHub has no results file for it`);
  await save(files.results.url, options.out);
  let savedErrors = false;
  if (job.rows_failed > 0 && files.errors) savedErrors = await save(files.errors.url, errorsFile);
  // An errors file left by an earlier run beside the same --out would describe other results.
  else await rm(errorsFile, { force: true });
  return {
    model: name, version: job.version, dataset: { id: dataset.id, row_count: dataset.row_count, schema: dataset.schema },
    job: job.id, state: 'succeeded', format, out: options.out, rows_done: job.rows_done, rows_failed: job.rows_failed,
    errors_file: savedErrors ? errorsFile : null, throughput: job.throughput, seconds: (Date.now() - started) / 1000,
  };
}

/** Polls the job until it ends, drawing each answer; Ctrl-C meanwhile cancels it and exits 130. `rowCount`: the dataset's rows. */
async function follow(api: ApiClient, start: Job, rowCount: number | null, progress: ProgressSink, out: string): Promise<Job> {
  let cancelling: Promise<never> | undefined;
  const cancel = () => {
    progress.stop();
    process.stderr.write(`Cancelling job ${start.id} (Ctrl-C)…\n`);
    cancelling = api.json<Job>('DELETE', `/jobs/${start.id}`).then(
      (job) => process.stderr.write(`Cancelled job ${job.id} (${job.rows_done} of ${job.rows_total ?? rowCount ?? '?'} rows were done); nothing was written to ${out}\n`),
      (error: unknown) => process.stderr.write(`mlhub: could not cancel job ${start.id}: ${(error as Error).message}\n`),
    ).then(() => process.exit(130));
  };
  process.once('SIGINT', cancel);
  try {
    let job = start;
    for (;;) {
      // Once Ctrl-C is pressed the cancellation has the last word (and exits): stop following.
      if (cancelling) return await cancelling;
      // Until the job is planned it has no row count: the dataset's is the same.
      progress.update({ ...job, rows_total: job.rows_total ?? rowCount });
      if (job.state !== 'queued' && job.state !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (cancelling) return await cancelling;
      job = await api.json<Job>('GET', `/jobs/${job.id}`);
    }
  } finally {
    process.removeListener('SIGINT', cancel);
    progress.stop();
  }
}

/** Downloads a presigned URL to `file`, whole or not at all. */
async function save(url: string, file: string): Promise<true> {
  await replaceWhole(file, (partial) => downloadToFile(url, partial, () => undefined));
  return true;
}
