import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json } from '../support/http';
import { download, jobWhen, jsonLines, pixelHeader, pixelRows, readyDataset, type Api, type JobView, type ResultsView } from '../support/jobs/job-harness';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { DEMO_BUNDLE } from '../support/publishing-client';
import { parquetReadObjects } from 'hyparquet';
import { makeTar } from '../../scripts/datasets/image-tar';
import { writeNpy } from '../../scripts/datasets/npy-writer';
import { writeParquet } from '../../scripts/datasets/parquet-file';

/**
 * Batch jobs over HTTP against one local runtime: datasets made through the datasets routes, jobs
 * through POST /model/{name}/jobs, run by the local runner, results compared with /predict.
 * Checkpoints every 4 rows and chunks of 8 rows make small files run as many chunks.
 */
let mlhub: RunningMlhub;
const auth = new Map<string, string>();
type Caller = 'olive' | 'sam' | 'rita';
const as = (caller: Caller): Api => (method, path, init = {}) => call(mlhub.url, method, path, { ...init, headers: { ...init.headers, authorization: auth.get(caller)! } });
const olive = as('olive');

interface Prediction { output: number[]; label?: string; probability?: number }

/** What POST /model/{name}/predict answers for one row. */
async function predictOne(model: string, row: number[]): Promise<Prediction> {
  const reply = await olive('POST', `/model/${model}/predict`, json({ input: row }));
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return (reply.body as { predictions: Prediction[] }).predictions[0]!;
}

function expectSamePrediction(actual: { output?: unknown; label?: unknown; probability?: unknown }, expected: Prediction): void {
  const output = actual.output as number[];
  expect(output).toHaveLength(expected.output.length);
  output.forEach((value, index) => expect(value).toBeCloseTo(expected.output[index]!, 6));
  expect(actual.label).toBe(expected.label);
}

const csvOf = (rows: number[][], ids = true): Buffer =>
  Buffer.from(`${ids ? 'id,' : ''}${pixelHeader.join(',')}\n${rows.map((row, index) => `${ids ? `r${index},` : ''}${row.join(',')}`).join('\n')}\n`);

async function startJob(api: Api, model: string, body: Record<string, unknown>): Promise<JobView> {
  const reply = await api('POST', `/model/${model}/jobs`, json(body));
  expect(reply.status, JSON.stringify(reply.body)).toBe(202);
  const job = reply.body as JobView;
  expect(job.id).toMatch(/^job_[0-9a-f]{24}$/);
  expect(reply.headers.get('location')).toBe(`/jobs/${job.id}`);
  return job;
}

async function results(api: Api, id: string): Promise<ResultsView> {
  const reply = await api('GET', `/jobs/${id}/results`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body as ResultsView;
}

async function privateModel(name: string): Promise<string> {
  expect((await olive('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
  expect((await olive('POST', `/model/${name}/upload`, { body: await readFile(DEMO_BUNDLE), headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
  return name;
}

beforeAll(async () => {
  mlhub = await startMlhub({ demo: true, env: { MLHUB_AUTH: 'required', MLHUB_DATASET_CHECKPOINT_ROWS: '4', MLHUB_JOB_CHUNK_ROWS: '8', MLHUB_JOB_BATCH_ROWS: '5', MLHUB_JOB_CONCURRENCY: '2' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const caller of ['olive', 'sam', 'rita'] as const) auth.set(caller, `Bearer ${await issuer.sign(caller)}`);
}, 90_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('batch predictions over HTTP', () => {
  it('predicts a CSV dataset in input order, each row as /predict answers it, keeping a text column beside', async () => {
    const rows = pixelRows(30, 1);
    const dataset = await readyDataset(olive, csvOf(rows), 'digits.csv');
    const started = await startJob(olive, 'demo-mnist', { dataset, keep: ['id'] });
    expect(started).toMatchObject({ state: 'queued', rows_done: 0, first_errors: [] });
    const job = await jobWhen(olive, started.id);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', rows_total: 30, rows_done: 30, rows_failed: 0, chunks_failed: 0 });
    expect(job.chunks_total).toBeGreaterThan(2);
    expect(job.chunks_done).toBe(job.chunks_total);
    expect(job.throughput).toBeGreaterThan(0);
    const files = await results(olive, job.id);
    expect(files).toMatchObject({ state: 'succeeded', format: 'jsonl' });
    const lines = jsonLines(await download(files.results!.url)) as { row: number; id: string; output: number[]; label?: string }[];
    expect(lines.map((line) => line.row)).toEqual(rows.map((_, index) => index));
    expect(lines.map((line) => line.id)).toEqual(rows.map((_, index) => `r${index}`));
    for (const [index, row] of rows.entries()) expectSamePrediction(lines[index]!, await predictOne('demo-mnist', row));
    expect((await download(files.errors!.url)).length).toBe(0);
  });

  it('predicts a JSON Lines dataset of arrays into CSV, in input order', async () => {
    const rows = pixelRows(20, 2);
    const dataset = await readyDataset(olive, Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n') + '\n'), 'digits.jsonl');
    const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, output: { format: 'csv' } })).id);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', rows_done: 20, rows_failed: 0 });
    const text = (await download((await results(olive, job.id)).results!.url)).toString('utf8');
    const [header, ...records] = text.trimEnd().split('\r\n');
    const names = header!.split(',');
    expect(names.slice(0, 2)).toEqual(['row', 'output_0']);
    expect(records).toHaveLength(20);
    for (const [index, record] of records.entries()) {
      const cells = record.split(',');
      expect(Number(cells[0])).toBe(index);
      const expected = await predictOne('demo-mnist', rows[index]!);
      const output = names.flatMap((name, at) => (name.startsWith('output_') ? [Number(cells[at])] : []));
      expectSamePrediction({ output, label: names.includes('label') ? cells[names.indexOf('label')] : undefined }, expected);
    }
  });

  it('predicts an NPY array in input order, each row as /predict answers it', async () => {
    const rows = pixelRows(12, 9);
    const dataset = await readyDataset(olive, writeNpy({ dtype: '<f8', shape: [12, 784], data: rows.flat() }), 'digits.npy');
    const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset })).id);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', rows_done: 12, rows_failed: 0 });
    const lines = jsonLines(await download((await results(olive, job.id)).results!.url)) as { row: number; output: number[]; label?: string }[];
    expect(lines.map((line) => line.row)).toEqual(rows.map((_, index) => index));
    for (const [index, row] of rows.entries()) expectSamePrediction(lines[index]!, await predictOne('demo-mnist', row));
  });

  it('predicts a Parquet dataset of several row groups into Parquet, in input order', async () => {
    const rows = pixelRows(14, 10);
    const columns = pixelHeader.map((name, at) => ({ name, type: 'DOUBLE' as const, data: rows.map((row) => row[at]!) }));
    const dataset = await readyDataset(olive, writeParquet(columns, { rowGroupSize: 4 }), 'digits.parquet');
    const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, output: { format: 'parquet' } })).id);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', rows_done: 14, rows_failed: 0 });
    expect(job.chunks_total).toBeGreaterThan(1);
    const bytes = await download((await results(olive, job.id)).results!.url);
    const records = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer });
    expect(records.map((record) => Number(record.row))).toEqual(rows.map((_, index) => index));
    for (const [index, record] of records.entries()) {
      const output = Object.keys(record).filter((key) => key.startsWith('output_')).sort((a, b) => Number(a.slice(7)) - Number(b.slice(7))).map((key) => record[key] as number);
      expectSamePrediction({ output, label: record.label ?? undefined }, await predictOne('demo-mnist', rows[index]!));
    }
  });

  it('predicts an image archive, one image per prediction as /predict answers it, naming a member that is no image', async () => {
    const images = await Promise.all([0, 1, 2, 3, 4].map((digit) => readFile(new URL(`../../models/demo/images/img${digit}.png`, import.meta.url))));
    const tar = await makeTar([
      ...images.slice(0, 3).map((bytes, index) => ({ name: `digits/img${index}.png`, bytes })),
      { name: 'digits/broken.png', bytes: Buffer.from('not a png at all') },
      ...images.slice(3).map((bytes, index) => ({ name: `digits/img${index + 3}.png`, bytes })),
    ], true);
    const dataset = await readyDataset(olive, tar, 'digits.tar.gz');
    const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, keep: ['path'], on_error: { mode: 'skip' } })).id);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', rows_total: 6, rows_done: 5, rows_failed: 1 });
    expect(job.first_errors.map((error) => error.row)).toEqual([3]);
    const files = await results(olive, job.id);
    const lines = jsonLines(await download(files.results!.url)) as { row: number; path: string; output: number[]; label?: string }[];
    expect(lines.map((line) => [line.row, line.path])).toEqual([[0, 'digits/img0.png'], [1, 'digits/img1.png'], [2, 'digits/img2.png'], [4, 'digits/img3.png'], [5, 'digits/img4.png']]);
    for (const [index, line] of lines.entries()) {
      const reply = await olive('POST', '/model/demo-mnist/predict', { body: images[index]!, headers: { 'content-type': 'image/png' } });
      expect(reply.status).toBe(200);
      expectSamePrediction(line, (reply.body as { predictions: Prediction[] }).predictions[0]!);
    }
  });

  describe('bad rows', () => {
    const rows = pixelRows(24, 3);
    const text = () => {
      const lines = csvOf(rows).toString('utf8').trimEnd().split('\n');
      lines[1 + 5] = lines[1 + 5]!.replace(/,0\.\d+/, ',abc'); // a value that is not a number
      lines[1 + 17] = lines[1 + 17]!.split(',').slice(0, 100).join(','); // too few columns
      return Buffer.from(`${lines.join('\n')}\n`);
    };

    it('skip: writes the bad rows to errors.jsonl with their row and reason, predicts the rest, and succeeds within the tolerance', async () => {
      const dataset = await readyDataset(olive, text(), 'bad.csv');
      const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, keep: ['id'], on_error: { mode: 'skip', tolerated_percent: 10 } })).id);
      expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', rows_total: 24, rows_done: 22, rows_failed: 2 });
      expect(job.first_errors.map((error) => error.row)).toEqual([5, 17]);
      const files = await results(olive, job.id);
      const errors = jsonLines(await download(files.errors!.url)) as { row: number; error: string }[];
      expect(errors.map((error) => error.row)).toEqual([5, 17]);
      for (const error of errors) expect(error.error.length).toBeGreaterThan(0);
      expect(errors[0]!.error).toMatch(/p\d+|abc|number/);
      const lines = jsonLines(await download(files.results!.url)) as { row: number }[];
      expect(lines.map((line) => line.row)).toEqual(rows.map((_, index) => index).filter((index) => index !== 5 && index !== 17));
    });

    it('skip past the tolerance fails the job, with the reason', async () => {
      const dataset = await readyDataset(olive, text(), 'bad.csv');
      const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, keep: ['id'], on_error: { mode: 'skip', tolerated_percent: 5 } })).id);
      expect(job.state).toBe('failed');
      expect(job.reason).toMatch(/2 of 24 rows failed/);
    });

    it('fail (the default): a bad row fails the job; its errors file says which', async () => {
      const dataset = await readyDataset(olive, text(), 'bad.csv');
      const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, keep: ['id'] })).id);
      expect(job.state, JSON.stringify(job)).toBe('failed');
      expect(job.reason).toMatch(/on_error\.mode is fail/);
      const files = await results(olive, job.id);
      expect(files.state).toBe('failed');
      const errors = jsonLines(await download(files.errors!.url)) as { row: number }[];
      expect(errors.map((error) => error.row)).toContain(5);
    });

    it('every row bad: the job fails at its plan, counting the rows it tried, naming the first, with them in errors.jsonl', async () => {
      const bad = Buffer.from(`a,b,c\n${Array.from({ length: 130 }, (_, index) => `${index},1,2`).join('\n')}\n`);
      const dataset = await readyDataset(olive, bad, 'narrow.csv');
      const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, on_error: { mode: 'skip', tolerated_percent: 100 } })).id);
      expect(job, JSON.stringify(job)).toMatchObject({ state: 'failed', rows_total: 130, rows_failed: 100 });
      expect(job.reason).toMatch(/^None of the first 100 rows could be predicted; the first, row 0: /);
      expect(job.first_errors[0]).toMatchObject({ row: 0 });
      const files = await results(olive, job.id);
      expect(files.results).toBeNull();
      const errors = jsonLines(await download(files.errors!.url)) as { row: number; error: string }[];
      expect(errors.map((error) => error.row)).toEqual(Array.from({ length: 100 }, (_, index) => index));
      expect(errors[0]!.error).toBe(job.first_errors[0]!.error);
    });
  });

  it('a dataset deleted while its job runs fails the job at once, saying so, with no S3 text as row errors', async () => {
    const dataset = await readyDataset(olive, csvOf(pixelRows(600, 8)), 'doomed.csv');
    const started = await startJob(olive, 'demo-mnist', { dataset, keep: ['id'], on_error: { mode: 'skip', tolerated_percent: 100 } });
    await jobWhen(olive, started.id, (job) => job.state !== 'queued' && job.rows_done > 0);
    const removed = await olive('DELETE', `/datasets/${dataset}`);
    expect([200, 202, 204]).toContain(removed.status);
    const job = await jobWhen(olive, started.id);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'failed', reason: `Dataset '${dataset}' was deleted while the job ran; the rows not yet predicted cannot be read` });
    expect(job.rows_done).toBeLessThan(600);
    for (const error of job.first_errors) expect(error.error).not.toMatch(/NoSuchKey|PreconditionFailed|S3|specified key/i);
  });

  it('cancels a running job: it stops, keeps its state, has no results, and a second cancel answers the same', async () => {
    const dataset = await readyDataset(olive, csvOf(pixelRows(600, 4)), 'many.csv');
    const started = await startJob(olive, 'demo-mnist', { dataset, keep: ['id'] });
    const cancelled = await olive('DELETE', `/jobs/${started.id}`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ id: started.id, state: 'cancelled' });
    const again = await olive('DELETE', `/jobs/${started.id}`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'cancelled' });
    const job = await jobWhen(olive, started.id);
    expect(job.state).toBe('cancelled');
    expect(job.rows_done).toBeLessThan(600);
    expectError(await olive('GET', `/jobs/${started.id}/results`), 409, 'job_cancelled');
  });

  it('refuses to cancel a finished job (409 job_finished) and leaves it as it was', async () => {
    const dataset = await readyDataset(olive, csvOf(pixelRows(3, 5)), 'few.csv');
    const job = await jobWhen(olive, (await startJob(olive, 'demo-mnist', { dataset, keep: ['id'] })).id);
    expect(job.state).toBe('succeeded');
    expectError(await olive('DELETE', `/jobs/${job.id}`), 409, 'job_finished');
    expect(((await olive('GET', `/jobs/${job.id}`)).body as JobView).state).toBe('succeeded');
  });

  it('answers 409 job_not_finished for the results of a job still running', async () => {
    const dataset = await readyDataset(olive, csvOf(pixelRows(600, 6)), 'many.csv');
    const started = await startJob(olive, 'demo-mnist', { dataset, keep: ['id'] });
    expectError(await olive('GET', `/jobs/${started.id}/results`), 409, 'job_not_finished');
    expect((await olive('DELETE', `/jobs/${started.id}`)).status).toBe(200);
  });

  describe('access and input', () => {
    let dataset: string;
    beforeAll(async () => {
      dataset = await readyDataset(olive, csvOf(pixelRows(4, 7)), 'small.csv');
    });

    it("a stranger's private dataset is 404 dataset_not_found; a model they cannot see is 404 model_not_found", async () => {
      expectError(await as('sam')('POST', '/model/demo-mnist/jobs', json({ dataset, keep: ['id'] })), 404, 'dataset_not_found');
      const model = await privateModel('jobs-private');
      expectError(await as('sam')('POST', `/model/${model}/jobs`, json({ dataset, keep: ['id'] })), 404, 'model_not_found');
      expectError(await olive('POST', '/model/demo-mnist/jobs', json({ dataset: 'ds_000000000000000000000000' })), 404, 'dataset_not_found');
    });

    it('a reader of a shared model may run a job on their own dataset; nobody else sees the job', async () => {
      const model = await privateModel('jobs-shared');
      expect((await olive('PUT', `/model/${model}/access`, json({ visibility: 'private', grants: [{ user: 'rita', role: 'read' }] }))).status).toBe(200);
      const rita = as('rita');
      const own = await readyDataset(rita, csvOf(pixelRows(4, 8)), 'rita.csv');
      const job = await jobWhen(rita, (await startJob(rita, model, { dataset: own, keep: ['id'] })).id);
      expect(job.state).toBe('succeeded');
      expectError(await olive('GET', `/jobs/${job.id}`), 404, 'job_not_found');
      expectError(await as('sam')('GET', `/jobs/${job.id}/results`), 404, 'job_not_found');
      expectError(await as('sam')('DELETE', `/jobs/${job.id}`), 404, 'job_not_found');
      const listed = await rita('GET', '/jobs');
      expect((listed.body as JobView[]).map((entry) => entry.id)).toContain(job.id);
      expect(((await as('sam')('GET', '/jobs')).body as JobView[]).map((entry) => entry.id)).not.toContain(job.id);
    });

    it('names the field at fault: columns the dataset lacks, text columns, bad options, a dataset not ready', async () => {
      expectError(await olive('POST', '/model/demo-mnist/jobs', json({ dataset, columns: ['p0', 'nope'], keep: ['id'] })), 400, 'invalid_columns', /columns\[1\]/);
      expectError(await olive('POST', '/model/demo-mnist/jobs', json({ dataset })), 400, 'invalid_columns', /id/);
      expectError(await olive('POST', '/model/demo-mnist/jobs', json({ dataset, keep: ['id'], output: { format: 'xml' } })), 400, 'invalid_body', /output\.format/);
      expectError(await olive('POST', '/model/demo-mnist/jobs', json({ dataset, keep: ['id'], on_error: { mode: 'skip', tolerated_percent: 101 } })), 400, 'invalid_body', /tolerated_percent/);
      expectError(await olive('POST', '/model/demo-mnist/jobs', json({ keep: ['id'] })), 400, 'invalid_body', /dataset/);
      const pending = await olive('POST', '/datasets', json({ filename: 'later.csv', size: 10 }));
      expectError(await olive('POST', '/model/demo-mnist/jobs', json({ dataset: (pending.body as { id: string }).id })), 409, 'dataset_not_ready');
      expectError(await olive('GET', '/jobs/job_nothere'), 404, 'job_not_found');
    });
  });
});
