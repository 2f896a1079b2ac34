import { jobPrefix } from './outputs/job-output-keys';

/**
 * A job's own objects beside its parts and results (outputs/job-output-keys.ts; DESIGN15 "S3 keys"):
 * the manifest the Distributed Map reads (one chunk per line, JSONL ItemReader) and the plan every
 * chunk worker reads (the dataset's inspection, the resolved selection, the output columns).
 */
/** Every job object lives under this root, beside `models/` and `datasets/` (outputs/job-output-keys.ts jobPrefix is under it). */
export const JOB_ROOT = 'jobs/';

export const manifestKey = (jobId: string): string => `${jobPrefix(jobId)}manifest.jsonl`;
export const planKey = (jobId: string): string => `${jobPrefix(jobId)}plan.json`;
