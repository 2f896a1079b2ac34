import { PassThrough, Readable } from 'node:stream';
import { resolveSelection, type ResolvedSelection } from '../../../functions/datasets/formats/column-selection';
import type { ChunkRow, DatasetChunk, DatasetInspection } from '../../../functions/datasets/formats/dataset-types';
import { inspectObject } from '../../../functions/datasets/formats/inspect-dataset';
import { planChunks } from '../../../functions/datasets/formats/plan-chunks';
import { bufferRangeSource, type RangeSource } from '../../../functions/datasets/formats/range-source';
import { readChunk } from '../../../functions/datasets/formats/read-chunk';
import type { CheckpointSpacing } from '../../../functions/datasets/formats/checkpoints';

/** Bytes as a stream of small pieces, as S3 would deliver them. */
export const streamOf = (bytes: Buffer, piece = 7919): Readable =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / piece) }, (_, index) => bytes.subarray(index * piece, (index + 1) * piece)));

export interface Inspected {
  readonly inspection: DatasetInspection;
  /** The object chunks read: the upload, or its decompressed copy. */
  readonly source: RangeSource;
}

/** Inspects an upload held in memory the way finalization will: Parquet by range, the rest streamed with a plain sink. */
export async function inspectBytes(bytes: Buffer, filename: string, spacing?: CheckpointSpacing): Promise<Inspected> {
  const sink = new PassThrough();
  const plain: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => plain.push(chunk));
  const inspection = await inspectObject(bufferRangeSource(bytes), { filename, plainSink: sink, ...(spacing ? { spacing } : {}) });
  return { inspection, source: inspection.readsFrom === 'plain' ? bufferRangeSource(Buffer.concat(plain)) : bufferRangeSource(bytes) };
}

export async function readRows(rows: AsyncIterable<ChunkRow>): Promise<ChunkRow[]> {
  const out: ChunkRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** Every chunk of a plan read in order, concatenated. */
export async function readPlan(inspected: Inspected, chunks: readonly DatasetChunk[], selection: ResolvedSelection, maxImageBytes?: number): Promise<ChunkRow[]> {
  const out: ChunkRow[] = [];
  for (const chunk of chunks) out.push(...await readRows(readChunk(inspected.inspection, chunk, inspected.source, selection, maxImageBytes === undefined ? {} : { maxImageBytes })));
  return out;
}

/** The whole dataset as one chunk. */
export const wholeChunk = (inspection: DatasetInspection): DatasetChunk[] =>
  planChunks(inspection, { maxRows: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER });

export async function readAll(inspected: Inspected, columns?: unknown, keep?: unknown): Promise<ChunkRow[]> {
  return readPlan(inspected, wholeChunk(inspected.inspection), resolveSelection(inspected.inspection.schema, columns, keep));
}

/** Rows as plain data for comparisons: typed arrays as number arrays. */
export const plainRows = (rows: readonly ChunkRow[]): unknown[] => rows.map((row) => ({
  row: row.row,
  ...(row.values ? { values: Array.from(row.values) } : {}),
  ...(row.named ? { named: Object.fromEntries(Object.entries(row.named).map(([name, values]) => [name, Array.from(values)])) } : {}),
  ...(row.image ? { image: row.image.toString('base64') } : {}),
  ...(row.kept ? { kept: row.kept } : {}),
  ...(row.error ? { error: row.error } : {}),
}));
