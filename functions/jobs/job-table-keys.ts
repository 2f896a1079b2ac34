/**
 * Key scheme of batch jobs in MLHub's one table (functions/store/table-design.ts): one partition
 * per job, `JOB#<id>`, holding its record (`META`) and one item per counted chunk
 * (`CHUNK#<6 digits>`, so a query reads them in chunk order), and while it is queued or running
 * a mark (`ACTIVE`) in the owner index, so a runner that restarts finds the jobs to resume.
 */
export const jobPartition = (id: string): string => `JOB#${id}`;
export const JOB_RECORD_SORT_KEY = 'META';
export const JOB_ACTIVE_SORT_KEY = 'ACTIVE';
export const CHUNK_SORT_PREFIX = 'CHUNK#';
export const chunkSortKey = (chunk: number): string => `${CHUNK_SORT_PREFIX}${String(chunk).padStart(6, '0')}`;

/** The record sits in the owner index under this partition, so "my jobs" is one query, newest first. */
export const ownerJobsPartition = (owner: string): string => `JOBS#${owner}`;
/** Creation time, then the id: unique, and newest first when read backwards. */
export const jobListingSortKey = (createdAt: string, id: string): string => `${createdAt}#${id}`;

/** Marks of jobs not yet final, in the owner index: one query finds every job to resume. */
export const ACTIVE_JOBS_PARTITION = 'ACTIVE_JOBS';
export const activeJobSortKey = (createdAt: string, id: string): string => `${createdAt}#${id}`;
