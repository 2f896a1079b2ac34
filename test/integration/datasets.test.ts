import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json, type JsonReply } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';

const LIMIT = 20 * 1000 * 1000;
let mlhub: RunningMlhub;
const auth = new Map<string, string>();
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

type Caller = 'olive' | 'sam' | 'anonymous' | 'reader';
const api = (caller: Caller, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<JsonReply> => {
  const credentials = auth.get(caller);
  return call(mlhub.url, method, path, { ...init, headers: { ...init.headers, ...(credentials ? { authorization: credentials } : {}) } });
};

interface PartUrl { part: number; size: number; url: string; headers: Record<string, string> }
interface UploadStatus { upload_id: string; part_size: number; part_count: number; mode: string; received: { part: number; size: number }[]; urls: PartUrl[]; complete_url: string; status_url: string }
interface Dataset { id: string; status: string; reason: string | null; row_count: number | null; schema: unknown; format: string | null; compression: string | null; sha256: string | null; visibility: string; upload: UploadStatus }

async function create(bytes: Buffer, fields: Record<string, unknown> = {}): Promise<Dataset> {
  const reply = await api('olive', 'POST', '/datasets', json({ filename: 'rows.csv', size: bytes.length, ...fields }));
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  expect(reply.headers.get('location')).toBe(`/datasets/${(reply.body as Dataset).id}`);
  return reply.body as Dataset;
}

async function put(url: PartUrl, bytes: Buffer, partSize: number): Promise<number> {
  const start = (url.part - 1) * partSize;
  return (await fetch(url.url, { method: 'PUT', body: bytes.subarray(start, start + url.size), headers: url.headers })).status;
}

async function send(dataset: Dataset, bytes: Buffer): Promise<void> {
  for (const url of dataset.upload.urls) expect(await put(url, bytes, dataset.upload.part_size)).toBe(200);
}

const complete = (dataset: Dataset) => api('olive', 'POST', dataset.upload.complete_url);

async function uploaded(bytes: Buffer, fields: Record<string, unknown> = {}): Promise<{ dataset: Dataset; completed: JsonReply }> {
  const dataset = await create(bytes, fields);
  await send(dataset, bytes);
  return { dataset, completed: await complete(dataset) };
}

const csv = (rows: number) => Buffer.from(`x,y,label\n${Array.from({ length: rows }, (_, i) => `${i},${i * 2},${i % 3}`).join('\n')}\n`);

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required', MLHUB_MAX_BUNDLE_BYTES: String(LIMIT) } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  auth.set('olive', `Bearer ${await issuer.sign('olive')}`);
  auth.set('sam', `Bearer ${await issuer.sign('sam')}`);
  const token = await api('olive', 'POST', '/tokens', json({ name: 'read only', scope: 'read' }));
  expect(token.status).toBe(201);
  auth.set('reader', `Bearer ${(token.body as { token: string }).token}`);
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('datasets over HTTP', () => {
  it('creates a private dataset, takes its bytes on one PUT, and completes it ready with its row count and columns', async () => {
    const bytes = csv(3);
    const { dataset, completed } = await uploaded(bytes);
    expect(dataset).toMatchObject({ status: 'pending', visibility: 'private', row_count: null, upload: { mode: 'single', part_count: 1 } });
    expect(dataset.id).toMatch(/^ds_[0-9a-f]{24}$/);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completed.body).toMatchObject({
      id: dataset.id, status: 'ready', row_count: 3, format: 'csv', compression: 'none', sha256: sha(bytes),
      schema: { kind: 'columns', columns: [{ name: 'x' }, { name: 'y' }, { name: 'label' }] },
    });
    expect((await api('olive', 'GET', `/datasets/${dataset.id}`)).body).toMatchObject({ status: 'ready', row_count: 3 });
    expect(await bucketReader(mlhub.s3Endpoint).keys(`datasets/${dataset.id}/`)).toEqual([`datasets/${dataset.id}/data`, `datasets/${dataset.id}/layout.json`]);
  });

  it('decompresses a gzip upload into its plain copy while inspecting it', async () => {
    const plain = csv(10);
    const { dataset, completed } = await uploaded(gzipSync(plain), { filename: 'rows.csv.gz' });
    expect(completed.body).toMatchObject({ status: 'ready', row_count: 10, compression: 'gzip' });
    const reader = bucketReader(mlhub.s3Endpoint);
    expect(await reader.keys(`datasets/${dataset.id}/`)).toEqual(['data', 'layout.json', 'plain'].map((name) => `datasets/${dataset.id}/${name}`));
  });

  it('resumes a multipart upload: the parts received, fresh URLs for the rest, then ready', async () => {
    const bytes = csv(1_000_000);
    expect(bytes.length).toBeGreaterThan(8 * 1024 * 1024);
    const dataset = await create(bytes);
    expect(dataset.upload).toMatchObject({ mode: 'multipart', part_count: 2 });
    expect(await put(dataset.upload.urls[0] as PartUrl, bytes, dataset.upload.part_size)).toBe(200);
    expectError(await complete(dataset), 409, 'upload_incomplete', /1 of 2 parts .*first: 2\b/);
    const resumed = await api('olive', 'GET', `${dataset.upload.status_url}?parts=2`);
    expect(resumed.status).toBe(200);
    const status = resumed.body as UploadStatus;
    expect(status.received.map((part) => part.part)).toEqual([1]);
    expect(status.urls.map((url) => url.part)).toEqual([2]);
    expectError(await api('olive', 'GET', `${dataset.upload.status_url}?parts=3`), 400, 'invalid_parts');
    expect(await put(status.urls[0] as PartUrl, bytes, status.part_size)).toBe(200);
    const completed = await complete(dataset);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completed.body).toMatchObject({ status: 'ready', row_count: 1_000_000, sha256: sha(bytes) });
  });

  it('finishes a dataset from the S3 event alone, when the client never calls complete', async () => {
    const dataset = await create(csv(5));
    await send(dataset, csv(5));
    let status = 'pending';
    for (let tries = 0; tries < 200 && status === 'pending'; tries += 1) {
      status = ((await api('olive', 'GET', `/datasets/${dataset.id}`)).body as Dataset).status;
      if (status === 'pending') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe('ready');
    expect((await complete(dataset)).status).toBe(200);
  });

  it('rejects a file with no data rows, or another sha256 than declared, with the reason, and keeps no bytes', async () => {
    const empty = await uploaded(Buffer.from('x,y\n'));
    expectError(empty.completed, 400, 'dataset_rejected', /no data rows/);
    expect((await api('olive', 'GET', `/datasets/${empty.dataset.id}`)).body).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/no data rows/) });
    expect(await bucketReader(mlhub.s3Endpoint).storedKeys(`datasets/${empty.dataset.id}/`)).toEqual([]);
    const wrong = await uploaded(csv(2), { sha256: '0'.repeat(64) });
    expectError(wrong.completed, 400, 'dataset_rejected', /sha256 .* not the 0{64} declared/);
  });

  it('refuses a URL used again once the dataset is ready', async () => {
    const bytes = csv(4);
    const { dataset, completed } = await uploaded(bytes);
    expect(completed.status).toBe(200);
    expect(await put(dataset.upload.urls[0] as PartUrl, Buffer.from(bytes.toString().toUpperCase()), dataset.upload.part_size)).toBe(412);
    expect((await api('olive', 'GET', `/datasets/${dataset.id}`)).body).toMatchObject({ status: 'ready', sha256: sha(bytes) });
  });

  it('lists only the caller\'s datasets, newest first, a page at a time', async () => {
    const mine = [await create(csv(1)), await create(csv(1)), await create(csv(1))].map((dataset) => dataset.id).reverse();
    const first = await api('olive', 'GET', '/datasets?limit=2');
    expect((first.body as Dataset[]).map((dataset) => dataset.id)).toEqual(mine.slice(0, 2));
    const cursor = first.headers.get('x-next-cursor') as string;
    expect(first.headers.get('link')).toMatch(/rel="next"/);
    const second = await api('olive', 'GET', `/datasets?limit=2&cursor=${encodeURIComponent(cursor)}`);
    expect((second.body as Dataset[])[0]?.id).toBe(mine[2]);
    expect((await api('sam', 'GET', '/datasets')).body).toEqual([]);
    expectError(await api('olive', 'GET', '/datasets?cursor=nonsense'), 400, 'invalid_cursor');
  });

  it('deletes a dataset with all its objects: a later GET is 404', async () => {
    const { dataset } = await uploaded(gzipSync(csv(3)), { filename: 'rows.csv.gz' });
    const reader = bucketReader(mlhub.s3Endpoint);
    expect(await reader.keys(`datasets/${dataset.id}/`)).toHaveLength(3);
    const deleted = await api('olive', 'DELETE', `/datasets/${dataset.id}`);
    expect(deleted.body).toEqual({ dataset: dataset.id, deleted: true, status: 'ready', objects_deleted: 3 });
    expect(await reader.keys(`datasets/${dataset.id}/`)).toEqual([]);
    expectError(await api('olive', 'GET', `/datasets/${dataset.id}`), 404, 'dataset_not_found');
    expectError(await api('olive', 'DELETE', `/datasets/${dataset.id}`), 404, 'dataset_not_found');
  });

  it('hides a private dataset from strangers and anonymous callers (404 on every route), and shows a public one', async () => {
    const hidden = await create(csv(1));
    for (const caller of ['sam', 'anonymous'] as const) {
      expectError(await api(caller, 'GET', `/datasets/${hidden.id}`), 404, 'dataset_not_found');
    }
    expectError(await api('sam', 'GET', hidden.upload.status_url), 404, 'dataset_not_found');
    expectError(await api('sam', 'POST', hidden.upload.complete_url), 404, 'dataset_not_found');
    expectError(await api('sam', 'DELETE', hidden.upload.status_url), 404, 'dataset_not_found');
    expectError(await api('sam', 'DELETE', `/datasets/${hidden.id}`), 404, 'dataset_not_found');
    expectError(await api('sam', 'GET', '/datasets/ds_000000000000000000000000'), 404, 'dataset_not_found');
    expectError(await api('sam', 'GET', '/datasets/not-an-id'), 404, 'dataset_not_found');
    const shown = await create(csv(1), { visibility: 'public' });
    expect((await api('anonymous', 'GET', `/datasets/${shown.id}`)).body).toMatchObject({ id: shown.id, visibility: 'public' });
    expect((await api('sam', 'GET', `/datasets/${shown.id}`)).status).toBe(200);
    expectError(await api('sam', 'DELETE', `/datasets/${shown.id}`), 403, 'forbidden');
  });

  it('lets a read token read but not create or delete', async () => {
    const dataset = await create(csv(1));
    expect((await api('reader', 'GET', `/datasets/${dataset.id}`)).status).toBe(200);
    expect((await api('reader', 'GET', '/datasets')).status).toBe(200);
    expectError(await api('reader', 'POST', '/datasets', json({ filename: 'a.csv', size: 10 })), 403, 'insufficient_scope');
    expectError(await api('reader', 'DELETE', `/datasets/${dataset.id}`), 403, 'insufficient_scope');
  });

  it('refuses a declared size over the bundle limit with 413 before anything moves', async () => {
    expectError(await api('olive', 'POST', '/datasets', json({ filename: 'big.csv', size: LIMIT + 1 })), 413, 'dataset_too_large', new RegExp(`at most ${LIMIT} bytes`));
  });

  it.each([
    ['an unknown field', { filename: 'a.csv', size: 10, colour: 'red' }, /colour/],
    ['no filename', { size: 10 }, /filename/],
    ['a path as filename', { filename: '../a.csv', size: 10 }, /filename/],
    ['an empty filename', { filename: '', size: 10 }, /filename/],
    ['size 0', { filename: 'a.csv', size: 0 }, /size/],
    ['a negative size', { filename: 'a.csv', size: -5 }, /size/],
    ['a fractional size', { filename: 'a.csv', size: 1.5 }, /size/],
    ['a huge size', { filename: 'a.csv', size: 1e300 }, /size/],
    ['size as text', { filename: 'a.csv', size: '10' }, /size/],
    ['a bad visibility', { filename: 'a.csv', size: 10, visibility: 'secret' }, /visibility/],
    ['a bad format', { filename: 'a.csv', size: 10, format: 'xlsx' }, /format/],
    ['a bad sha256', { filename: 'a.csv', size: 10, sha256: 'abc' }, /sha256/],
  ])('answers 400 naming the field for %s', async (_label, body, field) => {
    const reply = await api('olive', 'POST', '/datasets', json(body));
    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    expect((reply.body as { error: { message: string } }).error.message).toMatch(field);
  });

  it('ends a racing complete and abort in one state', async () => {
    for (let round = 0; round < 3; round += 1) {
      const bytes = csv(50);
      const dataset = await create(bytes);
      await send(dataset, bytes);
      const [completed, aborted] = await Promise.all([complete(dataset), api('olive', 'DELETE', dataset.upload.status_url)]);
      const final = (await api('olive', 'GET', `/datasets/${dataset.id}`)).body as Dataset;
      if (final.status === 'ready') {
        expect(completed.status).toBe(200);
        expect(aborted.status).toBe(409);
      } else {
        expect(final.status).toBe('aborted');
        expect(aborted.status).toBe(200);
        expectError(completed, 409, 'upload_aborted');
        expect(await bucketReader(mlhub.s3Endpoint).storedKeys(`datasets/${dataset.id}/`)).toEqual([]);
      }
    }
  });

  it('aborts an upload: the dataset is aborted, its URL refused, and complete says so', async () => {
    const bytes = csv(2);
    const dataset = await create(bytes);
    expect((await api('olive', 'DELETE', dataset.upload.status_url)).body).toEqual({ dataset: dataset.id, upload_id: dataset.upload.upload_id, aborted: true });
    expect(await put(dataset.upload.urls[0] as PartUrl, bytes, dataset.upload.part_size)).toBe(412);
    expectError(await complete(dataset), 409, 'upload_aborted');
    expect((await api('olive', 'GET', `/datasets/${dataset.id}`)).body).toMatchObject({ status: 'aborted', reason: expect.stringMatching(/aborted/) });
    expectError(await api('olive', 'GET', `/datasets/${dataset.id}/uploads/${'0'.repeat(24)}`), 404, 'upload_not_found');
  });
});
