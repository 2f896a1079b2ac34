import { conflict, invalid } from '../errors/app-error';
import type { BundleStore } from '../bundles/bundle-store';
import { partLength, planParts, type PartPlan } from './part-plan';
import type { ReceivedPart } from './received-part';

/** Presigned part URLs handed out per answer; the client asks for more as it goes. */
export const URLS_PER_ANSWER = 100;

/**
 * The S3 side of one resumable upload, whatever it uploads (a model's bundle, a dataset): the
 * key it writes once, the declared size, and how the bytes travel (part-plan.ts).
 */
export interface Transfer {
  readonly id: string;
  readonly key: string;
  readonly size: number;
  readonly mode: 'single' | 'multipart';
  readonly partSize?: number;
  readonly partCount?: number;
  /** S3's id of the multipart upload. */
  readonly s3UploadId?: string;
}

export interface PartUrl {
  readonly number: number;
  readonly size: number;
  readonly url: string;
  /** Headers the PUT must carry, as signed into the URL (`If-None-Match: *` on a single PUT). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the upload carries, as its messages name it: 'bundle', 'dataset'. */
export type TransferNoun = string;

export const planOf = (transfer: Transfer): PartPlan =>
  transfer.mode === 'single'
    ? { mode: 'single', size: transfer.size }
    : { mode: 'multipart', size: transfer.size, partSize: transfer.partSize as number, partCount: transfer.partCount as number };

/** Plans the parts of `size` bytes and, for a multipart plan, starts S3's multipart upload at `key`. */
export async function beginTransfer(store: BundleStore, key: string, size: number): Promise<{ plan: PartPlan; s3UploadId?: string }> {
  const plan = planParts(size);
  return plan.mode === 'multipart' ? { plan, s3UploadId: await store.startMultipart(key) } : { plan };
}

/** The transfer fields a record keeps, from a plan begun by beginTransfer. */
export function transferFields(begun: { plan: PartPlan; s3UploadId?: string }): Pick<Transfer, 'mode' | 'partSize' | 'partCount' | 's3UploadId'> {
  const { plan, s3UploadId } = begun;
  return plan.mode === 'multipart' ? { mode: 'multipart', partSize: plan.partSize, partCount: plan.partCount, s3UploadId } : { mode: 'single' };
}

/** The first parts not yet received, up to one answer's worth. */
export function firstParts(plan: PartPlan, received: readonly ReceivedPart[]): number[] {
  if (plan.mode === 'single') return [1];
  const have = new Set(received.map((part) => part.number));
  const missing: number[] = [];
  for (let number = 1; number <= plan.partCount && missing.length < URLS_PER_ANSWER; number += 1) if (!have.has(number)) missing.push(number);
  return missing;
}

/** Refuses part numbers outside the plan (400 invalid_parts). */
export function checkPartNumbers(transfer: Transfer, wanted: readonly number[]): void {
  const plan = planOf(transfer);
  if (plan.mode === 'multipart' && wanted.some((part) => part < 1 || part > plan.partCount)) {
    throw invalid('invalid_parts', `This upload has parts 1 to ${plan.partCount}`);
  }
}

/**
 * The parts S3 holds: the single PUT's object once it is stored, or the multipart upload's parts
 * while it is `open` (a completed or aborted one has none left to list).
 */
export async function receivedParts(store: BundleStore, transfer: Transfer, open: boolean): Promise<ReceivedPart[]> {
  if (transfer.mode === 'single') {
    const stored = await store.stat(transfer.key);
    return stored === undefined ? [] : [{ number: 1, size: stored.size, etag: stored.pin.etag }];
  }
  if (!open) return [];
  return (await store.listParts(transfer.key, transfer.s3UploadId as string)) ?? [];
}

/**
 * Assembles a multipart upload's parts into its key, only if every part is there at its planned
 * length (409 upload_incomplete, naming the first missing ones, otherwise). A single PUT has
 * nothing to assemble: reaching here means it has not arrived.
 */
export async function assembleParts(store: BundleStore, transfer: Transfer, noun: TransferNoun): Promise<void> {
  const plan = planOf(transfer);
  if (plan.mode === 'single') {
    throw conflict('upload_incomplete', `The ${noun} has not been uploaded yet: PUT it to the URL first`);
  }
  const parts = await store.listParts(transfer.key, transfer.s3UploadId as string);
  if (!parts) throw conflict('upload_incomplete', `Upload ${transfer.id} has no parts left to assemble; start a new one`);
  const byNumber = new Map(parts.map((part) => [part.number, part]));
  const missing: number[] = [];
  for (let number = 1; number <= plan.partCount; number += 1) {
    const part = byNumber.get(number);
    if (!part || part.size !== partLength(plan, number)) missing.push(number);
  }
  if (missing.length > 0) {
    throw conflict('upload_incomplete', `${missing.length} of ${plan.partCount} parts are missing or short (first: ${missing.slice(0, 10).join(', ')}); upload them, then complete again`);
  }
  await store.completeMultipart(transfer.key, transfer.s3UploadId as string, parts);
}

/**
 * Fresh presigned URLs: the single PUT's (write-once, `If-None-Match: *`), or those of the
 * parts asked for, at most URLS_PER_ANSWER, each bound to its part's exact length.
 */
export function signParts(store: BundleStore, transfer: Transfer, parts: readonly number[], presignSeconds: number): Promise<PartUrl[]> {
  const plan = planOf(transfer);
  if (plan.mode === 'single') {
    return store.presignPut(transfer.key, transfer.size, presignSeconds).then(({ url, headers }) => [{ number: 1, size: transfer.size, url, headers }]);
  }
  return Promise.all(parts.slice(0, URLS_PER_ANSWER).map(async (number) => {
    const size = partLength(plan, number);
    return { number, size, url: await store.presignPart(transfer.key, transfer.s3UploadId as string, number, size, presignSeconds), headers: {} };
  }));
}

/** `?parts=5-20` asks for URLs for those parts; without it (undefined), for the first parts still missing. */
export function requestedParts(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const match = /^([1-9]\d{0,4})(?:-([1-9]\d{0,4}))?$/.exec(raw);
  const from = Number(match?.[1]);
  const to = Number(match?.[2] ?? match?.[1]);
  if (!match || to < from || to - from >= URLS_PER_ANSWER) {
    throw invalid('invalid_parts', `Query parameter 'parts' must be N or N-M with at most ${URLS_PER_ANSWER} parts, got '${raw}'`);
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The transfer's state as every upload answer shows it: its plan, the parts S3 holds, and URLs for the next ones. */
export function transferView(transfer: Transfer, received: readonly ReceivedPart[], urls: readonly PartUrl[]) {
  return {
    mode: transfer.mode,
    part_size: transfer.partSize ?? transfer.size,
    part_count: transfer.partCount ?? 1,
    received: received.map((part) => ({ part: part.number, size: part.size, etag: part.etag || null })),
    urls: urls.map((url) => ({ part: url.number, size: url.size, method: 'PUT', url: url.url, headers: url.headers })),
  };
}
