import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, json } from '../support/http';
import { download, jobWhen, jsonLines, pixelHeader, pixelRows, readyDataset, type Api, type JobView } from '../support/jobs/job-harness';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/**
 * A kill -9 of MLHub in the middle of a batch job, then a restart on the same data: the runner
 * takes the job up from its counted chunks, reruns the chunk it was cut off in (overwriting its
 * part), and the job ends with every row exactly once, in order.
 */
const ROWS = 2000;
const env = { MLHUB_AUTH: 'required', MLHUB_DATASET_CHECKPOINT_ROWS: '4', MLHUB_JOB_CHUNK_ROWS: '8', MLHUB_JOB_BATCH_ROWS: '4', MLHUB_JOB_CONCURRENCY: '2' };
let dataDir: string;
let mlhub: RunningMlhub;
let authorization = '';
const olive: Api = (method, path, init = {}) => call(mlhub.url, method, path, { ...init, headers: { ...init.headers, authorization } });

async function signIn(): Promise<void> {
  authorization = `Bearer ${await (await openLocalIssuer(mlhub.dataDir)).sign('olive')}`;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mlhub-jobs-restart-'));
  mlhub = await startMlhub({ dataDir, env, demo: true });
  await signIn();
}, 90_000);

afterAll(async () => {
  await mlhub?.stop();
  await removeDataDir(dataDir);
});

it('survives a kill -9 mid-job: after the restart the job succeeds with no row missing or twice', async () => {
  const rows = pixelRows(ROWS, 11);
  const csv = Buffer.from(`${pixelHeader.join(',')}\n${rows.map((row) => row.join(',')).join('\n')}\n`);
  const dataset = await readyDataset(olive, csv, 'big.csv');
  const started = await olive('POST', '/model/demo-mnist/jobs', json({ dataset }));
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const id = (started.body as JobView).id;
  const before = await jobWhen(olive, id, (job) => job.chunks_done >= 3);
  expect(before.state, 'the job ended before the kill: make it longer').toBe('running');

  process.kill(mlhub.pid, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 100));
  mlhub = await startMlhub({ dataDir, env });
  await signIn();

  const job = await jobWhen(olive, id);
  expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', rows_total: ROWS, rows_done: ROWS, rows_failed: 0, chunks_failed: 0 });
  expect(job.chunks_done).toBe(job.chunks_total);
  const reply = await olive('GET', `/jobs/${id}/results`);
  expect(reply.status).toBe(200);
  const lines = jsonLines(await download((reply.body as { results: { url: string } }).results.url)) as { row: number; output: number[] }[];
  expect(lines.map((line) => line.row)).toEqual(rows.map((_, index) => index));
  for (const index of [0, before.rows_done, ROWS - 1]) {
    const predicted = await olive('POST', '/model/demo-mnist/predict', json({ input: rows[index] }));
    const expected = (predicted.body as { predictions: { output: number[] }[] }).predictions[0]!.output;
    lines[index]!.output.forEach((value, at) => expect(value).toBeCloseTo(expected[at]!, 6));
  }
}, 300_000);
