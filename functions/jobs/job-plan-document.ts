import type { BundleStore } from '../bundles/bundle-store';
import type { ResolvedSelection } from '../datasets/formats/column-selection';
import type { DatasetInspection } from '../datasets/formats/dataset-types';
import type { ObjectPin } from '../versions/version-records';
import { planKey } from './job-keys';
import type { OutputColumns } from './outputs/output-columns';
import type { OutputFormat } from './outputs/output-format';

/**
 * What every chunk worker of a job reads before its chunk (`jobs/<id>/plan.json`, written once by
 * planJob): the dataset as inspected (with its layout, which may be large, so never in a state
 * payload), the object chunks read from, the resolved selection and the output columns. A copy,
 * so the job runs on the dataset as it was planned.
 */
export interface JobPlanDocument {
  readonly inspection: DatasetInspection;
  readonly source: { readonly key: string; readonly size: number; readonly pin?: ObjectPin };
  readonly selection: ResolvedSelection;
  readonly outputColumns: OutputColumns;
  readonly format: OutputFormat;
}

const CACHED_PLANS = 8;
const cache = new Map<string, JobPlanDocument>();

export async function writePlanDocument(objects: Pick<BundleStore, 'put'>, jobId: string, plan: JobPlanDocument): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(plan));
  const { createHash } = await import('node:crypto');
  await objects.put(planKey(jobId), bytes, createHash('sha256').update(bytes).digest('hex'));
}

/** The job's plan, kept for the few jobs this process works on (a warm worker runs many chunks of one job). */
export async function readPlanDocument(objects: Pick<BundleStore, 'get'>, jobId: string): Promise<JobPlanDocument> {
  const cached = cache.get(jobId);
  if (cached) return cached;
  const plan = JSON.parse((await objects.get(planKey(jobId))).toString('utf8')) as JobPlanDocument;
  if (cache.size >= CACHED_PLANS) cache.delete(cache.keys().next().value!);
  cache.set(jobId, plan);
  return plan;
}
