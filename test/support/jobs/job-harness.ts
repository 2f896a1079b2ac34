import { expect } from 'vitest';
import { json, type JsonReply } from '../http';

/** Calls the API as one caller (each test file keeps its callers' credentials). */
export type Api = (method: string, path: string, init?: { body?: RequestInit['body']; headers?: Record<string, string> }) => Promise<JsonReply>;

export interface JobView {
  id: string; state: string; reason: string | null; rows_total: number | null; rows_done: number; rows_failed: number;
  chunks_total: number | null; chunks_done: number; chunks_failed: number; first_errors: { row: number; error: string }[];
  throughput: number | null; eta_seconds: number | null; version: number;
}
export interface ResultsView { state: string; format: string; results: { url: string; bytes: number } | null; errors: { url: string; bytes: number } | null }

/** A ready dataset of `bytes`, made through the datasets routes: create, one PUT per URL, complete. */
export async function readyDataset(api: Api, bytes: Buffer, filename: string, fields: Record<string, unknown> = {}): Promise<string> {
  const created = await api('POST', '/datasets', json({ filename, size: bytes.length, ...fields }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const dataset = created.body as { id: string; upload: { part_size: number; urls: { part: number; size: number; url: string; headers: Record<string, string> }[]; complete_url: string } };
  for (const url of dataset.upload.urls) {
    const start = (url.part - 1) * dataset.upload.part_size;
    expect((await fetch(url.url, { method: 'PUT', body: bytes.subarray(start, start + url.size), headers: url.headers })).status).toBe(200);
  }
  let completed = await api('POST', dataset.upload.complete_url);
  // A large dataset may still be under inspection (202): ask again until it is decided.
  while (completed.status === 202) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    completed = await api('GET', `/datasets/${dataset.id}`);
    if ((completed.body as { status: string }).status === 'pending') completed = { ...completed, status: 202 };
  }
  expect(completed.status, JSON.stringify(completed.body)).toBe(200);
  expect(completed.body).toMatchObject({ status: 'ready' });
  return dataset.id;
}

/** Polls the job until it is in one of `states` (or ends), and returns it. */
export async function jobWhen(api: Api, id: string, done: (job: JobView) => boolean = (job) => ['succeeded', 'failed', 'cancelled'].includes(job.state)): Promise<JobView> {
  for (;;) {
    const reply = await api('GET', `/jobs/${id}`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const job = reply.body as JobView;
    if (done(job) || ['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function download(url: string): Promise<Buffer> {
  const reply = await fetch(url);
  expect(reply.status).toBe(200);
  return Buffer.from(await reply.arrayBuffer());
}

export const jsonLines = (bytes: Buffer): unknown[] => bytes.toString('utf8').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as unknown);

/** Values in 0..1 with 3 decimals, the same numbers in CSV text and in JSON: deterministic per seed. */
export function pixelRows(count: number, seed: number): number[][] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.round((state / 2 ** 32) * 1000) / 1000;
  };
  return Array.from({ length: count }, () => Array.from({ length: 784 }, next));
}

export const pixelHeader = Array.from({ length: 784 }, (_, index) => `p${index}`);
