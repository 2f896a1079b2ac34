import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../functions/errors/app-error';
import { LEASE_MS, whileClaimed } from '../../functions/uploads/claim-lease';
import { checkWhileWaiting, INLINE_CHECK_BYTES } from '../../functions/uploads/inline-check';
import { MIN_PART_SIZE } from '../../functions/uploads/part-plan';
import {
  URLS_PER_ANSWER, assembleParts, beginTransfer, checkPartNumbers, firstParts, planOf, receivedParts, requestedParts, signParts, transferFields, transferView, type Transfer,
} from '../../functions/uploads/upload-transfer';
import { startEmbeddedStores, type EmbeddedStores } from '../support/embedded-stores';

let stores: EmbeddedStores;
let counter = 0;

async function begin(size: number): Promise<Transfer> {
  const key = `uploads-test/${(counter += 1)}/data`;
  const begun = await beginTransfer(stores.bundles, key, size);
  return { id: `t${counter}`, key, size, ...transferFields(begun) };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  expect(outcome).toBeInstanceOf(AppError);
  return outcome as AppError;
}

beforeAll(async () => {
  stores = await startEmbeddedStores();
});
afterAll(async () => {
  await stores?.close();
});

describe('the shared upload transfer', () => {
  it('reads ?parts as N or N-M within one answer, and refuses anything else naming the parameter', () => {
    expect(requestedParts(undefined)).toBeUndefined();
    expect(requestedParts('7')).toEqual([7]);
    expect(requestedParts('2-4')).toEqual([2, 3, 4]);
    expect(requestedParts(`1-${URLS_PER_ANSWER}`)).toHaveLength(URLS_PER_ANSWER);
    for (const raw of ['0', '4-2', `1-${URLS_PER_ANSWER + 1}`, 'a', '1-', '-1', '1.5', '']) {
      expect(() => requestedParts(raw), raw).toThrow(/Query parameter 'parts'/);
    }
  });

  it('plans one write-once PUT for a small upload, signed with If-None-Match, and refuses a second PUT', async () => {
    const transfer = await begin(10);
    expect(transfer).toMatchObject({ mode: 'single' });
    expect(transfer.s3UploadId).toBeUndefined();
    const [url] = await signParts(stores.bundles, transfer, firstParts(planOf(transfer), []), 60);
    expect(url).toMatchObject({ number: 1, size: 10, headers: { 'if-none-match': '*' } });
    expect(await receivedParts(stores.bundles, transfer, true)).toEqual([]);
    expect((await failure(assembleParts(stores.bundles, transfer, 'dataset'))).message).toMatch(/The dataset has not been uploaded yet/);
    expect((await fetch(url?.url as string, { method: 'PUT', body: randomBytes(10), headers: { ...url?.headers } })).status).toBe(200);
    expect(await receivedParts(stores.bundles, transfer, true)).toEqual([expect.objectContaining({ number: 1, size: 10 })]);
    expect((await fetch(url?.url as string, { method: 'PUT', body: randomBytes(10), headers: { ...url?.headers } })).status).toBe(412);
  });

  it('plans parts for a large upload, lists those received, names the missing ones, and assembles them byte-exact', async () => {
    const bytes = randomBytes(MIN_PART_SIZE + 1000);
    const transfer = await begin(bytes.length);
    expect(transfer).toMatchObject({ mode: 'multipart', partSize: MIN_PART_SIZE, partCount: 2 });
    expect(transferView(transfer, [], [])).toMatchObject({ mode: 'multipart', part_size: MIN_PART_SIZE, part_count: 2, received: [], urls: [] });
    expect(() => checkPartNumbers(transfer, [3])).toThrow(/parts 1 to 2/);
    const urls = await signParts(stores.bundles, transfer, firstParts(planOf(transfer), []), 60);
    expect(urls.map((url) => [url.number, url.size])).toEqual([[1, MIN_PART_SIZE], [2, 1000]]);
    expect((await fetch(urls[1]?.url as string, { method: 'PUT', body: bytes.subarray(MIN_PART_SIZE) })).status).toBe(200);
    const received = await receivedParts(stores.bundles, transfer, true);
    expect(received.map((part) => part.number)).toEqual([2]);
    expect(firstParts(planOf(transfer), received)).toEqual([1]);
    const missing = await failure(assembleParts(stores.bundles, transfer, 'bundle'));
    expect([missing.code, missing.message]).toEqual(['upload_incomplete', expect.stringMatching(/1 of 2 parts are missing or short \(first: 1\)/)]);
    expect((await fetch(urls[0]?.url as string, { method: 'PUT', body: bytes.subarray(0, MIN_PART_SIZE) })).status).toBe(200);
    await assembleParts(stores.bundles, transfer, 'bundle');
    expect((await stores.bundles.get(transfer.key)).equals(bytes)).toBe(true);
    // Once assembled, the upload has no parts left to list.
    expect(await receivedParts(stores.bundles, transfer, false)).toEqual([]);
  });
});

describe('claims and inline checks', () => {
  it('runs the work only under a claim taken, for a lease no longer than the deadline', async () => {
    const asked: string[] = [];
    const now = () => new Date('2026-05-01T00:00:00.000Z');
    const deadline = now().getTime() + 5000;
    const done = await whileClaimed(async (until) => (asked.push(until), true), deadline, now, async () => 'checked');
    expect(done).toEqual({ claimed: true, result: 'checked' });
    expect(asked).toEqual([new Date(Math.min(now().getTime() + LEASE_MS, deadline)).toISOString()]);
    let ran = false;
    expect(await whileClaimed(async () => false, deadline, now, async () => { ran = true; })).toEqual({ claimed: false });
    expect(ran).toBe(false);
  });

  it('asks a busy or pending check again until it settles, and leaves uploads over the inline limit to the event', async () => {
    const answers = ['busy', 'pending', 'ready'];
    let asked = 0;
    await checkWhileWaiting(10, Date.now() + 10_000, async () => answers[asked++] as string);
    expect(asked).toBe(3);
    let large = 0;
    await checkWhileWaiting(INLINE_CHECK_BYTES + 1, Date.now() + 10_000, async () => String((large += 1)));
    expect(large).toBe(0);
  });

  it('returns at the deadline while a check is still reading (a gzip that inflates for minutes), and still throws a check that failed before it', async () => {
    let finished = false;
    const started = Date.now();
    await checkWhileWaiting(10, started + 300, () => new Promise((resolve) => setTimeout(() => {
      finished = true;
      resolve('ready');
    }, 1500)));
    expect(Date.now() - started).toBeLessThan(1200);
    expect(finished).toBe(false);
    await expect(checkWhileWaiting(10, Date.now() + 5000, () => Promise.reject(new Error('the table failed')))).rejects.toThrow('the table failed');
    // The check left behind ends on its own; its outcome (here, a failure) is nobody's to handle.
    await checkWhileWaiting(10, Date.now() + 50, () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late')), 200)));
    await new Promise((resolve) => setTimeout(resolve, 400));
  });
});
