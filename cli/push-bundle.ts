import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ApiClient, modelPath } from './api-client';
import { CliError } from './cli-error';
import { HttpStatusError, fileSha256, putFileRange } from './file-transfer';

import type { Model, UploadSession, UploadStatus, Version } from './api-types';

/** One URL to PUT a part to, with the headers that must go with it (they are signed into it). */
type PartUrl = UploadStatus['urls'][number];

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

const ATTEMPTS = 4;
const URL_BATCH = 100;
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

  const received = new Set(status.received.filter((part) => part.size === partSize(status, part.part)).map((part) => part.part));
  const missing = Array.from({ length: status.part_count }, (_, i) => i + 1).filter((part) => !received.has(part));
  let done = status.received.filter((part) => received.has(part.part)).reduce((sum, part) => sum + part.size, 0);
  options.events?.uploading?.(done, size);

  const urls = new Map(status.urls.map((url) => [url.part, url]));
  const urlFor = async (part: number, fresh: boolean): Promise<PartUrl> => {
    if (!fresh && urls.has(part)) return urls.get(part) as PartUrl;
    const batchEnd = Math.min(status.part_count, part + URL_BATCH - 1);
    const answer = await api.json<UploadStatus>('GET', `${base}/${status.upload_id}?parts=${part}-${batchEnd}`);
    for (const url of answer.urls) urls.set(url.part, url);
    return urls.get(part) as PartUrl;
  };

  const queue = [...missing];
  const sendOne = async (part: number): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      let sent = 0;
      try {
        // A refused URL may have expired while others were sending: sign it afresh.
        const url = await urlFor(part, attempt > 1);
        try {
          await putFileRange(url.url, file, (part - 1) * status.part_size, url.size, (count) => {
            sent += count;
            options.events?.uploading?.((done += count), size);
          }, url.headers ?? {});
        } catch (error) {
          // A write-once URL answers 412 when its object is already there: an earlier attempt (of
          // this push, or of the one it resumes) landed and only its answer was lost. The key is
          // this upload's own, and completing checks the stored bytes' sha256 against the file's.
          if (!(error instanceof HttpStatusError && error.status === 412 && isWriteOnce(url))) throw error;
        }
        return;
      } catch (error) {
        done -= sent;
        if (attempt >= ATTEMPTS || (error instanceof HttpStatusError && error.status < 500 && error.status !== 403)) {
          throw new CliError(`Part ${part} could not be uploaded (${(error as Error).message}); run the same push again to resume`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, async () => {
    for (let part = queue.shift(); part !== undefined; part = queue.shift()) await sendOne(part);
  }));

  const uploadedAt = Date.now();
  const version = await finish(api, name, `${base}/${status.upload_id}/complete`, status.version);
  const finishedAt = Date.now();
  if (version.status === 'rejected') throw new CliError(`MLHub refused the bundle: ${version.reason ?? 'it failed the checks'}`);
  if (version.sha256 !== sha256) throw new CliError(`The stored bundle's sha256 ${version.sha256} differs from the local ${sha256}`);
  return {
    model: name, version: version.version, size, sha256, uploadId: status.upload_id, resumed: previous !== undefined,
    partsTotal: status.part_count, partsSkipped: status.part_count - missing.length, partsSent: missing.length, seconds: (finishedAt - started) / 1000,
    phases: { hashing: (hashedAt - started) / 1000, uploading: (uploadedAt - hashedAt) / 1000, completing: (finishedAt - uploadedAt) / 1000 },
    serving: version.serving,
  };
}

const isWriteOnce = (url: PartUrl) => Object.entries(url.headers ?? {}).some(([name, value]) => name.toLowerCase() === 'if-none-match' && value.trim() === '*');

function partSize(status: UploadStatus, part: number): number {
  return part < status.part_count ? status.part_size : status.size - status.part_size * (status.part_count - 1);
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
