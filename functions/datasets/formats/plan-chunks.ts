import type { DatasetChunk, DatasetInspection, DatasetLayout } from './dataset-types';

export interface PlanOptions {
  /** Rows per chunk at most (a line format exceeds it only when one span between checkpoints does). */
  readonly maxRows: number;
  /** Bytes of the object a chunk reads at most, under the same proviso (and a single row or image may exceed it). */
  readonly maxBytes: number;
}

/** Row groups listed per chunk at most, so a chunk's JSON stays under 1 KB. */
export const MAX_ROW_GROUPS_PER_CHUNK = 64;

interface Span {
  readonly rowStart: number;
  readonly rowCount: number;
  readonly byteStart: number;
  readonly byteEnd: number;
  readonly rowGroup?: number;
}

/**
 * Packs consecutive spans into chunks, greedily: a chunk takes the next span while it stays within
 * maxRows, maxBytes and `maxSpans` (the row-group cap), and always takes at least one.
 */
function pack(spans: readonly Span[], options: PlanOptions, maxSpans = Number.POSITIVE_INFINITY): DatasetChunk[] {
  const chunks: DatasetChunk[] = [];
  let current: Span[] = [];
  const close = (): void => {
    if (current.length === 0) return;
    const first = current[0]!;
    const last = current[current.length - 1]!;
    const groups = current.flatMap((span) => (span.rowGroup === undefined ? [] : [span.rowGroup]));
    chunks.push({
      index: chunks.length,
      rowStart: first.rowStart,
      rowCount: last.rowStart + last.rowCount - first.rowStart,
      byteStart: first.byteStart,
      byteEnd: last.byteEnd,
      ...(groups.length > 0 ? { rowGroups: [...new Set(groups)] } : {}),
    });
    current = [];
  };
  for (const span of spans) {
    if (current.length > 0) {
      const first = current[0]!;
      const rows = span.rowStart + span.rowCount - first.rowStart;
      const bytes = span.byteEnd - first.byteStart;
      if (rows > options.maxRows || bytes > options.maxBytes || current.length >= maxSpans) close();
    }
    current.push(span);
  }
  close();
  return chunks;
}

/** Checkpoint to checkpoint: the spans a line format is cut between. */
const lineSpans = (layout: Extract<DatasetLayout, { kind: 'lines' }>): Span[] =>
  layout.checkpoints.slice(0, -1).map((checkpoint, index) => {
    const next = layout.checkpoints[index + 1]!;
    return { rowStart: checkpoint.row, rowCount: next.row - checkpoint.row, byteStart: checkpoint.offset, byteEnd: next.offset };
  });

/** NPY: equal row ranges, as many rows as both limits allow (at least one). */
function npyChunks(layout: Extract<DatasetLayout, { kind: 'npy' }>, rowCount: number, options: PlanOptions): DatasetChunk[] {
  const perChunk = Math.max(1, Math.min(options.maxRows, Math.floor(options.maxBytes / layout.rowBytes)));
  const chunks: DatasetChunk[] = [];
  for (let rowStart = 0; rowStart < rowCount; rowStart += perChunk) {
    const count = Math.min(perChunk, rowCount - rowStart);
    chunks.push({ index: chunks.length, rowStart, rowCount: count, byteStart: layout.dataOffset + rowStart * layout.rowBytes, byteEnd: layout.dataOffset + (rowStart + count) * layout.rowBytes });
  }
  return chunks;
}

/**
 * Splits an inspected dataset into chunks (pure: the same inspection and options give the same
 * chunks). Every row is in exactly one chunk, chunks are in row order and each chunk's JSON stays
 * under 1 KB (a Step Functions Distributed Map item). CSV, TSV and JSON Lines chunks start and end
 * on checkpoints (record starts); Parquet chunks are whole row groups, a group over maxRows split
 * by row range; NPY chunks are row ranges; image archives member ranges. `byteStart`/`byteEnd`
 * is the range of the object the chunk reads (for Parquet, the row groups' column chunks).
 */
export function planChunks(inspection: DatasetInspection, options: PlanOptions): DatasetChunk[] {
  if (!(options.maxRows >= 1) || !(options.maxBytes >= 1)) throw new RangeError('planChunks needs maxRows and maxBytes of at least 1');
  const { layout } = inspection;
  switch (layout.kind) {
    case 'lines': return pack(lineSpans(layout), options);
    case 'tar': return pack(layout.members.map((member, row) => ({ rowStart: row, rowCount: 1, byteStart: member.offset, byteEnd: member.offset + member.size })), options);
    case 'npy': return npyChunks(layout, inspection.rowCount, options);
    case 'parquet': return packRowGroups(layout, options);
  }
}

/** Parquet: whole row groups packed greedily; a group over maxRows alone, split into row ranges. */
function packRowGroups(layout: Extract<DatasetLayout, { kind: 'parquet' }>, options: PlanOptions): DatasetChunk[] {
  const whole: Span[][] = [];
  const chunks: DatasetChunk[] = [];
  const flush = (): void => {
    for (const chunk of pack(whole.flat(), options, MAX_ROW_GROUPS_PER_CHUNK)) chunks.push({ ...chunk, index: chunks.length });
    whole.length = 0;
  };
  layout.rowGroups.forEach((group, rowGroup) => {
    if (group.rowCount <= options.maxRows) {
      whole.push([{ ...group, rowGroup }]);
      return;
    }
    flush();
    for (let rowStart = group.rowStart; rowStart < group.rowStart + group.rowCount; rowStart += options.maxRows) {
      const rowCount = Math.min(options.maxRows, group.rowStart + group.rowCount - rowStart);
      chunks.push({ index: chunks.length, rowStart, rowCount, byteStart: group.byteStart, byteEnd: group.byteEnd, rowGroups: [rowGroup] });
    }
  });
  flush();
  return chunks;
}
