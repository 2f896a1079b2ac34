import type { Checkpoint } from './dataset-types';

/** Checkpoint spacing: small enough that chunks of a few MB (or a few thousand rows) end on one. */
export interface CheckpointSpacing {
  readonly rows: number;
  readonly bytes: number;
}

export const DEFAULT_CHECKPOINT_SPACING: CheckpointSpacing = { rows: 4096, bytes: 1024 * 1024 };

/**
 * Collects record starts for a line format: the first data record, then one whenever `rows` rows
 * or `bytes` bytes have passed since the last. The planner cuts chunks only here, so a chunk
 * holds at most maxRows rows unless one span between checkpoints is longer. 2 GB at 1 MiB
 * spacing makes about 2000 checkpoints.
 */
export class CheckpointRecorder {
  readonly checkpoints: Checkpoint[] = [];

  constructor(private readonly spacing: CheckpointSpacing) {}

  /** Row `row` (0-based) starts at `offset`. */
  recordStart(row: number, offset: number): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (!last || row - last.row >= this.spacing.rows || offset - last.offset >= this.spacing.bytes) this.checkpoints.push({ row, offset });
  }

  /** The final checkpoint: every row before `end`. */
  finish(rowCount: number, end: number): Checkpoint[] {
    return [...this.checkpoints, { row: rowCount, offset: end }];
  }
}
