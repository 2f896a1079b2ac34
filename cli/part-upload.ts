import type { ApiClient } from './api-client';
import { CliError } from './cli-error';
import { HttpStatusError, putFileRange } from './file-transfer';

/**
 * The transfer fields every MLHub upload answers with, a model version's (UploadStatus) and a
 * dataset's (DatasetUploadStatus) alike (functions/contracts/views.ts, transferPartsShape): the
 * parts S3 holds, and presigned URLs for parts still to send.
 */
export interface TransferStatus {
  readonly size: number;
  readonly part_size: number;
  readonly part_count: number;
  readonly received: readonly { readonly part: number; readonly size: number }[];
  readonly urls: readonly PartUrl[];
}

/** One URL to PUT a part to, with the headers that must go with it (they are signed into it). */
export interface PartUrl {
  readonly part: number;
  readonly size: number;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SentParts {
  readonly partsTotal: number;
  readonly partsSkipped: number;
  readonly partsSent: number;
}

const ATTEMPTS = 4;
const URL_BATCH = 100;

/**
 * Sends the parts of `file` that `status` does not list as received, `parallel` at a time, each
 * streamed from disk to its presigned URL, retried with backoff (a fresh URL from
 * `GET <statusPath>?parts=N-M` after a refusal, as the URL may have expired). `onBytes` is told
 * the bytes stored so far out of `status.size`, parts already there included. Throws a CliError
 * naming the part that failed every try; the caller says how to resume.
 */
export async function sendMissingParts(api: ApiClient, file: string, status: TransferStatus, statusPath: string, options: { parallel: number; onBytes?: (done: number, total: number) => void; resumeHint: string }): Promise<SentParts> {
  const size = partSizer(status);
  const received = new Set(status.received.filter((part) => part.size === size(part.part)).map((part) => part.part));
  const missing = Array.from({ length: status.part_count }, (_, i) => i + 1).filter((part) => !received.has(part));
  let done = status.received.filter((part) => received.has(part.part)).reduce((sum, part) => sum + part.size, 0);
  options.onBytes?.(done, status.size);

  const urls = new Map(status.urls.map((url) => [url.part, url]));
  const urlFor = async (part: number, fresh: boolean): Promise<PartUrl> => {
    if (!fresh && urls.has(part)) return urls.get(part) as PartUrl;
    const batchEnd = Math.min(status.part_count, part + URL_BATCH - 1);
    const answer = await api.json<TransferStatus>('GET', `${statusPath}?parts=${part}-${batchEnd}`);
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
            options.onBytes?.((done += count), status.size);
          }, url.headers ?? {});
        } catch (error) {
          // A write-once URL answers 412 when its object is already there: an earlier attempt (of
          // this run, or of the one it resumes) landed and only its answer was lost. The key is
          // this upload's own, and completing checks the stored bytes' size and sha256.
          if (!(error instanceof HttpStatusError && error.status === 412 && isWriteOnce(url))) throw error;
        }
        return;
      } catch (error) {
        done -= sent;
        if (attempt >= ATTEMPTS || (error instanceof HttpStatusError && error.status < 500 && error.status !== 403)) {
          throw new CliError(`Part ${part} could not be uploaded (${(error as Error).message}); ${options.resumeHint}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, async () => {
    for (let part = queue.shift(); part !== undefined; part = queue.shift()) await sendOne(part);
  }));
  return { partsTotal: status.part_count, partsSkipped: status.part_count - missing.length, partsSent: missing.length };
}

const isWriteOnce = (url: PartUrl) => Object.entries(url.headers ?? {}).some(([name, value]) => name.toLowerCase() === 'if-none-match' && value.trim() === '*');

/** The exact size of each part: part_size, but the last one holds what is left. */
const partSizer = (status: TransferStatus) => (part: number): number =>
  part < status.part_count ? status.part_size : status.size - status.part_size * (status.part_count - 1);
