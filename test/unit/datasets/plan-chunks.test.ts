import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DatasetInspection, DatasetLayout } from '../../../functions/datasets/formats/dataset-types';
import { planChunks } from '../../../functions/datasets/formats/plan-chunks';

const base = { format: 'csv', compression: 'none', readsFrom: 'data', schema: { kind: 'columns', columns: [] } } as const;

/** Random layouts of every kind, with their row counts, up to row and byte counts in the millions. */
const lineLayout = fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 4_000_000 })), { minLength: 1, maxLength: 300 }).map((spans) => {
  const checkpoints = [{ row: 0, offset: 17 }];
  for (const [rows, bytes] of spans) {
    const last = checkpoints[checkpoints.length - 1]!;
    checkpoints.push({ row: last.row + rows, offset: last.offset + bytes });
  }
  const end = checkpoints[checkpoints.length - 1]!;
  return { rowCount: end.row, layout: { kind: 'lines', end: end.offset, checkpoints } as DatasetLayout };
});
const parquetLayout = fc.array(fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 50_000_000 })), { minLength: 1, maxLength: 400 }).map((groups) => {
  let rowStart = 0;
  let byteStart = 4;
  const rowGroups = groups.map(([rowCount, bytes]) => {
    const group = { rowStart, rowCount, byteStart, byteEnd: byteStart + bytes };
    rowStart += rowCount;
    byteStart += bytes;
    return group;
  });
  return { rowCount: rowStart, layout: { kind: 'parquet', rowGroups } as DatasetLayout };
});
const npyLayout = fc.record({ rows: fc.integer({ min: 1, max: 2_000_000 }), rowBytes: fc.integer({ min: 1, max: 100_000 }) }).map(({ rows, rowBytes }) => ({
  rowCount: rows, layout: { kind: 'npy', dataOffset: 128, rowBytes, rowValues: rowBytes, dtype: '|u1' } as DatasetLayout,
}));
const tarLayout = fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 1, maxLength: 500 }).map((sizes) => {
  let offset = 512;
  const members = sizes.map((size, index) => {
    const member = { name: `images/${index}.png`, offset, size, format: 'png' };
    offset += 512 + Math.ceil(size / 512) * 512;
    return member;
  });
  return { rowCount: members.length, layout: { kind: 'tar', members, ignored: { directories: 0, metadata: 0, other: 0 } } as DatasetLayout };
});

const anyLayout = fc.oneof(lineLayout, parquetLayout, npyLayout, tarLayout);
const limits = fc.record({ maxRows: fc.integer({ min: 1, max: 300_000 }), maxBytes: fc.integer({ min: 1, max: 200_000_000 }) });

/** An upper bound on the chunks a plan makes, to keep each run small: limits far below the layout's units make millions. */
function chunkBound(layout: DatasetLayout, rowCount: number, options: { maxRows: number; maxBytes: number }): number {
  switch (layout.kind) {
    case 'npy': return rowCount / Math.max(1, Math.min(options.maxRows, Math.floor(options.maxBytes / layout.rowBytes)));
    case 'parquet': return layout.rowGroups.reduce((sum, group) => sum + Math.ceil(group.rowCount / options.maxRows), 0);
    case 'lines': return layout.checkpoints.length;
    case 'tar': return layout.members.length;
  }
}

describe('planChunks', () => {
  it('puts every row in exactly one chunk, in row order, each chunk under 1 KB of JSON', () => {
    fc.assert(fc.property(anyLayout, limits, ({ rowCount, layout }, options) => {
      fc.pre(chunkBound(layout, rowCount, options) <= 3000);
      const inspection = { ...base, rowCount, layout } as DatasetInspection;
      const chunks = planChunks(inspection, options);
      let next = 0;
      chunks.forEach((chunk, index) => {
        expect(chunk.index).toBe(index);
        expect(chunk.rowStart).toBe(next);
        expect(chunk.rowCount).toBeGreaterThan(0);
        expect(JSON.stringify(chunk).length).toBeLessThan(1024);
        next += chunk.rowCount;
      });
      expect(next).toBe(rowCount);
      // Pure: the same input gives the same plan.
      expect(planChunks(inspection, options)).toEqual(chunks);
    }), { numRuns: 150 });
  });

  it('keeps within maxRows and maxBytes except where one unit (checkpoint span, row group range, row, member) is larger', () => {
    fc.assert(fc.property(anyLayout, limits, ({ rowCount, layout }, options) => {
      fc.pre(chunkBound(layout, rowCount, options) <= 3000);
      const chunks = planChunks({ ...base, rowCount, layout } as DatasetInspection, options);
      for (const chunk of chunks) {
        const bytes = chunk.byteEnd! - chunk.byteStart!;
        if (layout.kind === 'npy' || layout.kind === 'parquet') expect(chunk.rowCount).toBeLessThanOrEqual(options.maxRows);
        if (layout.kind === 'npy' && chunk.rowCount > 1) expect(bytes).toBeLessThanOrEqual(options.maxBytes);
        if (layout.kind === 'tar' && chunk.rowCount > 1) expect(bytes <= options.maxBytes && chunk.rowCount <= options.maxRows).toBe(true);
        if (layout.kind === 'lines') {
          const starts = layout.checkpoints.map((checkpoint) => checkpoint.offset);
          expect(starts).toContain(chunk.byteStart);
          expect(starts).toContain(chunk.byteEnd);
          const spans = layout.checkpoints.filter((checkpoint) => checkpoint.offset >= chunk.byteStart! && checkpoint.offset < chunk.byteEnd!).length;
          if (spans > 1) expect(bytes <= options.maxBytes && chunk.rowCount <= options.maxRows).toBe(true);
        }
        if (layout.kind === 'parquet') {
          const groups = chunk.rowGroups!;
          expect(groups.length).toBeGreaterThan(0);
          expect(groups.length).toBeLessThanOrEqual(64);
          // Whole row groups, unless one group is split by rows on its own.
          const covered = groups.reduce((sum, group) => sum + layout.rowGroups[group]!.rowCount, 0);
          if (groups.length > 1) expect(covered).toBe(chunk.rowCount);
        }
      }
    }), { numRuns: 150 });
  });

  it('gives a tiny dataset one chunk and refuses limits under 1', () => {
    const layout: DatasetLayout = { kind: 'lines', end: 20, checkpoints: [{ row: 0, offset: 4 }, { row: 3, offset: 20 }] };
    expect(planChunks({ ...base, rowCount: 3, layout } as DatasetInspection, { maxRows: 1000, maxBytes: 1 << 20 }))
      .toEqual([{ index: 0, rowStart: 0, rowCount: 3, byteStart: 4, byteEnd: 20 }]);
    expect(() => planChunks({ ...base, rowCount: 3, layout } as DatasetInspection, { maxRows: 0, maxBytes: 10 })).toThrow(RangeError);
  });
});
