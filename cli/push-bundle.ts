import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ApiClient, modelPath } from './api-client';
import { CliError } from './cli-error';
import { fileSha256 } from './file-transfer';
import { sendMissingParts } from './part-upload';

import type { Model, UploadSession, UploadStatus, Version } from './api-types';

export interface PushResult {
  readonly model: string;
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
  readonly uploadId: string;
  readonly resumed: boolean;
  readonly partsTotal: number;
  readonly partsSkipped: number;
  readonly partsSent: number;
  readonly seconds: number;
  /** Where the time went: reading the file for its sha256, sending parts, and MLHub assembling and checking them. */
  readonly phases: { readonly hashing: number; readonly uploading: number; readonly completing: number };
  /** The path the version's predictions take, as the upload answer says (null while unchecked). */
  readonly serving: Version['serving'];
}

export interface PushEvents {
  hashing?(done: number, total: number): void;
  uploading?(done: number, total: number): void;
}

const FINISH_POLL_MS = 500;
const FINISH_TIMEOUT_MS = 60 * 60 * 1000;

/**
 * Uploads a .tar.gz as a new version: straight to S3 in parts on presigned URLs, `parallel` at a
 * time, resuming an open upload of the same bytes if one exists, then completing and checking
 * that MLHub's sha256 of the stored bundle equals the local one.
 */
export async function pushBundle(api: ApiClient, name: string, file: string, options: { parallel: number; filename?: string; events?: PushEvents }): Promise<PushResult> {
  const started = Date.now();
  const { size } = await stat(file);
  let hashed = 0;
  const sha256 = await fileSha256(file, (count) => options.events?.hashing?.((hashed += count), size));
  const hashedAt = Date.now();
  const base = `${modelPath(name)}/uploads`;

  const open = await api.json<UploadSession[]>('GET', base);
  const previous = open.find((session) => session.size === size && session.sha256 === sha256);
  const status = previous
    ? await api.json<UploadStatus>('GET', `${base}/${previous.upload_id}`)
    : await api.json<UploadStatus>('POST', base, { json: { size, sha256, filename: options.filename ?? basename(file) } });

  const sent = await sendMissingParts(api, file, status, `${base}/${status.upload_id}`, {
    parallel: options.parallel,
    resumeHint: 'run the same push again to resume',
    ...(options.events?.uploading ? { onBytes: options.events.uploading } : {}),
  });

  const uploadedAt = Date.now();
  const version = await finish(api, name, `${base}/${status.upload_id}/complete`, status.version);
  const finishedAt = Date.now();
  if (version.status === 'rejected') throw new CliError(`MLHub refused the bundle: ${version.reason ?? 'it failed the checks'}`);
  if (version.sha256 !== sha256) throw new CliError(`The stored bundle's sha256 ${version.sha256} differs from the local ${sha256}`);
  return {
    model: name, version: version.version, size, sha256, uploadId: status.upload_id, resumed: previous !== undefined,
    ...sent, seconds: (finishedAt - started) / 1000,
    phases: { hashing: (hashedAt - started) / 1000, uploading: (uploadedAt - hashedAt) / 1000, completing: (finishedAt - uploadedAt) / 1000 },
    serving: version.serving,
  };
}

/** Completes the upload, then waits while MLHub checks a bundle too large to check at once. */
async function finish(api: ApiClient, name: string, completePath: string, number: number): Promise<Version> {
  const response = await api.request('POST', completePath);
  if (response.status === 400) {
    const body = await response.json() as { error?: { code?: string; message?: string } };
    // MLHub's message already says the bundle was refused, and why: it is the whole line.
    if (body.error?.code === 'bundle_rejected') throw new CliError(body.error.message ?? 'MLHub refused the bundle');
    throw new CliError(body.error?.message ?? 'Completing the upload failed');
  }
  let version = await ApiClient.read<Version>(response, `POST ${completePath}`);
  const deadline = Date.now() + FINISH_TIMEOUT_MS;
  while (version.status === 'pending' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, FINISH_POLL_MS));
    const model = await api.json<Model>('GET', modelPath(name));
    version = model.versions.find((candidate) => candidate.version === number) ?? version;
  }
  return version;
}
