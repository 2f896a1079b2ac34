import type { OutputFormat } from './output-format';

/**
 * Where a job's outputs live in the bundle bucket (/work/wt/DESIGN15.md, "S3 keys"): one part and
 * one error part per chunk, named by the chunk's index in 6 digits so that a listing sorts them in
 * chunk order, and the assembled `results.<ext>` and `errors.jsonl`.
 */
export const jobPrefix = (jobId: string): string => `jobs/${jobId}/`;
export const partsPrefix = (jobId: string): string => `jobs/${jobId}/parts/`;
const chunkName = (chunk: number): string => String(chunk).padStart(6, '0');
export const partKey = (jobId: string, chunk: number, format: OutputFormat): string => `${partsPrefix(jobId)}${chunkName(chunk)}.${format}`;
export const partErrorsKey = (jobId: string, chunk: number): string => `${partsPrefix(jobId)}${chunkName(chunk)}.errors.jsonl`;
export const resultsKey = (jobId: string, format: OutputFormat): string => `jobs/${jobId}/results.${format}`;
export const errorsKey = (jobId: string): string => `jobs/${jobId}/errors.jsonl`;
