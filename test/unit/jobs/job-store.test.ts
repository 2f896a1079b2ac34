import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../../functions/jobs/dynamo-job-store';
import { newJobId, type JobRecord } from '../../../functions/jobs/job-records';
import { startEmbeddedStores, type EmbeddedStores } from '../../support/embedded-stores';

/** The job store over dynalite: a chunk's completion counts once, however often the chunk runs. */
let stores: EmbeddedStores;
let jobs: DynamoJobStore;
const NOW = '2026-12-01T00:00:00.000Z';

function queued(owner = 'olive', createdAt = NOW): JobRecord {
  return {
    id: newJobId(), owner, model: 'm', version: 1, dataset: 'ds_000000000000000000000000', format: 'jsonl', onError: { mode: 'skip', toleratedPercent: 10 },
    state: 'queued', createdAt, updatedAt: createdAt, rowsDone: 0, rowsFailed: 0, chunksDone: 0, chunksFailed: 0, firstErrors: [],
  };
}

async function running(): Promise<JobRecord> {
  const job = queued();
  await jobs.put(job);
  expect(await jobs.start(job.id, { rowsTotal: 30, chunksTotal: 3, outputColumns: undefined, startedAt: NOW }, NOW)).toBe(true);
  return job;
}

beforeAll(async () => {
  stores = await startEmbeddedStores();
  jobs = new DynamoJobStore(stores.documents, stores.tableName);
});

afterAll(async () => stores?.close());

describe('DynamoJobStore', () => {
  it('counts a chunk once: a rerun (a retry after a crash) moves no counter', async () => {
    const job = await running();
    const outcome = { chunk: 1, rows: 9, failed: 1, errors: [{ row: 13, error: 'p0 is not a number' }] };
    expect(await jobs.recordChunk(job.id, outcome, NOW)).toBe(true);
    expect(await jobs.recordChunk(job.id, outcome, NOW)).toBe(false);
    expect(await jobs.recordChunk(job.id, { ...outcome, rows: 10, failed: 0, errors: [] }, NOW)).toBe(false);
    expect(await jobs.recordChunk(job.id, { chunk: 0, rows: 10, failed: 0, errors: [] }, NOW)).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ rowsDone: 19, rowsFailed: 1, chunksDone: 2, chunksFailed: 0, firstErrors: [{ row: 13, error: 'p0 is not a number' }] });
    expect(await jobs.countedChunks(job.id)).toEqual([0, 1]);
  });

  it('counts chunks run at once exactly once each', async () => {
    const job = await running();
    const runs = [0, 1, 2, 0, 1, 2, 2].map((chunk) => jobs.recordChunk(job.id, { chunk, rows: 10, failed: 0, errors: [] }, NOW));
    expect((await Promise.all(runs)).filter(Boolean)).toHaveLength(3);
    expect(await jobs.get(job.id)).toMatchObject({ rowsDone: 30, chunksDone: 3 });
  });

  it('counts a chunk given up on as failed, and nothing on a job that is not running', async () => {
    const job = await running();
    expect(await jobs.recordChunk(job.id, { chunk: 2, rows: 0, failed: 10, errors: [], gaveUp: true }, NOW)).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ rowsFailed: 10, chunksDone: 0, chunksFailed: 1 });
    expect(await jobs.finish(job.id, ['queued', 'running'], { state: 'cancelled', reason: 'by its owner' }, NOW)).toBe(true);
    expect(await jobs.recordChunk(job.id, { chunk: 0, rows: 10, failed: 0, errors: [] }, NOW)).toBe(false);
    expect(await jobs.finish(job.id, ['queued', 'running'], { state: 'succeeded' }, NOW)).toBe(false);
    expect(await jobs.get(job.id)).toMatchObject({ state: 'cancelled', rowsDone: 0 });
  });

  it('keeps the exact first errors in row order from the chunk items', async () => {
    const job = await running();
    const errors = (start: number) => Array.from({ length: 8 }, (_, index) => ({ row: start + index, error: 'bad' }));
    await jobs.recordChunk(job.id, { chunk: 2, rows: 2, failed: 8, errors: errors(20) }, NOW);
    await jobs.recordChunk(job.id, { chunk: 0, rows: 2, failed: 8, errors: errors(0) }, NOW);
    expect((await jobs.firstErrors(job.id, 10)).map((error) => error.row)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 20, 21]);
  });

  it('lists a job as active until it ends, and an owner\'s jobs newest first', async () => {
    const first = queued('lister', '2026-12-01T00:00:01.000Z');
    const second = queued('lister', '2026-12-01T00:00:02.000Z');
    await jobs.put(first);
    await jobs.put(second);
    expect(await jobs.listActive(1000)).toEqual(expect.arrayContaining([first.id, second.id]));
    await jobs.finish(first.id, ['queued', 'running'], { state: 'failed', reason: 'x' }, NOW);
    expect(await jobs.listActive(1000)).not.toContain(first.id);
    const page = await jobs.listByOwner('lister', { limit: 1 });
    expect(page.jobs.map((job) => job.id)).toEqual([second.id]);
    const next = await jobs.listByOwner('lister', { limit: 1, before: page.last! });
    expect(next.jobs.map((job) => job.id)).toEqual([first.id]);
  });
});
