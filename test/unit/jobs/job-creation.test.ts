import { describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../../../functions/datasets/dataset-records';
import type { DatasetStore } from '../../../functions/datasets/dataset-store';
import { AppError } from '../../../functions/errors/app-error';
import type { PredictedVersion } from '../../../functions/frameworks/predicted-versions';
import { userActor } from '../../../functions/identity/actor';
import { createJob } from '../../../functions/jobs/job-creation';
import type { JobRecord } from '../../../functions/jobs/job-records';
import type { JobStore } from '../../../functions/jobs/job-store';

const owner = userActor('olive', 'session');
const NOW = '2026-12-01T00:00:00.000Z';
const dataset = {
  id: 'ds_0123456789abcdef01234567', owner: 'olive', filename: 'rows.csv', size: 10, status: 'ready', visibility: 'private',
  schema: { kind: 'columns', columns: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] }, rowCount: 2,
  createdAt: NOW, updatedAt: NOW, dataKey: 'datasets/ds_0123456789abcdef01234567/data',
} as unknown as DatasetRecord;

/** The steps before the start, with stores that record what they were asked to write. */
function deps(canStart: boolean) {
  const written: JobRecord[] = [];
  const started: string[] = [];
  return {
    written,
    started,
    deps: {
      jobs: { put: async (job: JobRecord) => void written.push(job) } as unknown as JobStore,
      datasets: { get: async (id: string) => (id === dataset.id ? dataset : undefined) } as unknown as DatasetStore,
      predictedVersion: async () => ({ model: { name: 'm', owner: 'olive' }, version: { version: 1 } }) as unknown as PredictedVersion,
      start: async (id: string) => void started.push(id),
      canStart: () => canStart,
      now: () => new Date(NOW),
    },
  };
}

describe('createJob', () => {
  it('answers 503 jobs_not_configured where no runner can start it, before it writes a job that would never run', async () => {
    const without = deps(false);
    const error = await createJob(without.deps, owner, 'm', { dataset: dataset.id }).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect([(error as AppError).kind, (error as AppError).code]).toEqual(['unavailable', 'jobs_not_configured']);
    expect(without.written).toEqual([]);
    expect(without.started).toEqual([]);

    const withRunner = deps(true);
    const job = await createJob(withRunner.deps, owner, 'm', { dataset: dataset.id });
    expect(withRunner.written.map((written) => written.id)).toEqual([job.id]);
    expect(withRunner.started).toEqual([job.id]);
  });
});
