import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ApiClient } from './api-client';
import type { CreatedDataset, Dataset, DatasetUploadStatus } from './api-types';
import { CliError } from './cli-error';
import { fileSha256 } from './file-transfer';
import { sendMissingParts } from './part-upload';

export interface DatasetUploadEvents {
  hashing?(done: number, total: number): void;
  uploading?(done: number, total: number): void;
}

export interface UploadedDataset {
  readonly dataset: Dataset;
  /** True when an open upload of the same file (name, size, sha256) was found and finished. */
  readonly resumed: boolean;
  readonly partsSkipped: number;
  readonly partsSent: number;
}

const INSPECT_POLL_MS = 500;
const INSPECT_TIMEOUT_MS = 60 * 60 * 1000;

/**
 * Uploads a file as a dataset (README "Datasets"): `POST /datasets` with its name, size and
 * sha256, the parts on their presigned URLs with the transfer code `mlhub push` uses, then
 * complete, and waits while MLHub inspects it (a 202 for files over 1 GiB). An open upload of the
 * same file among the caller's pending datasets is resumed, sending only the parts S3 lacks.
 * Resolves to the ready dataset (with `row_count` and `schema`); a rejected one throws a
 * CliError with MLHub's reason.
 */
export async function uploadDataset(api: ApiClient, file: string, options: { parallel: number; events?: DatasetUploadEvents }): Promise<UploadedDataset> {
  const { size } = await stat(file);
  const filename = basename(file);
  let hashed = 0;
  const sha256 = await fileSha256(file, (count) => options.events?.hashing?.((hashed += count), size));

  const previous = (await api.json<Dataset[]>('GET', '/datasets?limit=100')).find((dataset) =>
    dataset.status === 'pending' && dataset.upload.state === 'open' && dataset.filename === filename && dataset.size === size && dataset.sha256 === sha256);
  const status: DatasetUploadStatus = previous
    ? await api.json<DatasetUploadStatus>('GET', previous.upload.status_url)
    : (await api.json<CreatedDataset>('POST', '/datasets', { json: { filename, size, sha256 } })).upload;

  const sent = await sendMissingParts(api, file, status, status.status_url, {
    parallel: options.parallel,
    resumeHint: 'run the same command again to resume the upload',
    ...(options.events?.uploading ? { onBytes: options.events.uploading } : {}),
  });
  const dataset = await complete(api, status);
  return { dataset, resumed: previous !== undefined, partsSkipped: sent.partsSkipped, partsSent: sent.partsSent };
}

/** Completes the upload, then waits while MLHub inspects a dataset too large to inspect at once. */
async function complete(api: ApiClient, status: DatasetUploadStatus): Promise<Dataset> {
  let dataset = await api.json<Dataset>('POST', status.complete_url);
  for (const deadline = Date.now() + INSPECT_TIMEOUT_MS; dataset.status === 'pending';) {
    if (Date.now() > deadline) throw new CliError(`The dataset ${dataset.id} is still being inspected after an hour; run again later with --dataset-id ${dataset.id}`);
    await new Promise((resolve) => setTimeout(resolve, INSPECT_POLL_MS));
    dataset = await api.json<Dataset>('GET', `/datasets/${dataset.id}`);
  }
  return readyOrThrow(dataset);
}

/** The dataset if it is ready; otherwise a CliError saying what it is and why. */
export function readyOrThrow(dataset: Dataset): Dataset {
  if (dataset.status === 'ready') return dataset;
  throw new CliError(`The dataset ${dataset.id} (${dataset.filename}) is ${dataset.status}${dataset.reason ? `: ${dataset.reason}` : ''}`);
}

/**
 * One line saying what a dataset holds, from its inspection: its rows, and its columns and their
 * types (a long list shortened to its ends), its array shape and dtype, or its images.
 */
export function describeDataset(dataset: Dataset): string {
  const rows = `${(dataset.row_count ?? 0).toLocaleString('en-US')} rows`;
  const schema = dataset.schema;
  let holds = '';
  if (schema?.kind === 'columns') {
    const named = schema.columns.map((column) => `${column.name} (${column.type})`);
    holds = `${schema.columns.length} column${schema.columns.length === 1 ? '' : 's'}: ${named.length > 6 ? [...named.slice(0, 3), '…', ...named.slice(-2)].join(', ') : named.join(', ')}`;
  } else if (schema?.kind === 'array') {
    holds = `an array [${schema.shape.join(', ')}] of ${schema.dtype}`;
  } else if (schema?.kind === 'images') {
    holds = `images: ${schema.formats.png} PNG, ${schema.formats.jpeg} JPEG`;
  }
  return `Dataset ${dataset.id} (${dataset.filename}, ${dataset.format ?? 'unknown format'}) is ready: ${rows}${holds ? `; ${holds}` : ''}`;
}
