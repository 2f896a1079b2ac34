import { DEFAULT_INPUT_LIMITS } from '../../inference/inference-config';
import type { ResolvedSelection } from './column-selection';
import type { ChunkRow, DatasetChunk, DatasetInspection } from './dataset-types';
import { readDelimited } from './read-delimited';
import { readImageTar } from './read-image-tar';
import { readJsonl } from './read-jsonl';
import { readNpy } from './read-npy';
import { readParquet } from './read-parquet';
import type { RangeSource } from './range-source';

export interface ReadOptions {
  /** Images over this many bytes are error rows (predict's MLHUB_PREDICT_MAX_IMAGE_BYTES). */
  readonly maxImageBytes?: number;
}

function mismatch(inspection: DatasetInspection, selection: ResolvedSelection): never {
  throw new Error(`A ${selection.kind} selection cannot read a ${inspection.format} dataset`);
}

/**
 * Yields exactly the chunk's rows, in order, with their global 0-based row numbers, from
 * `source` (the object the inspection's `readsFrom` names). Reading the same chunk again yields
 * the same rows, so a retried chunk never duplicates any. A row the selection cannot read comes
 * out with a one-line `error` naming the column (or member) and never throws; a fault of the
 * object (a failed range read, bytes that changed since the inspection) throws.
 */
export function readChunk(inspection: DatasetInspection, chunk: DatasetChunk, source: RangeSource, selection: ResolvedSelection, options: ReadOptions = {}): AsyncIterable<ChunkRow> {
  const { layout, schema } = inspection;
  switch (inspection.format) {
    case 'csv':
    case 'tsv':
      if (layout.kind !== 'lines' || (selection.kind !== 'columns' && selection.kind !== 'named')) return mismatch(inspection, selection);
      return readDelimited(layout, chunk, source, selection, inspection.format === 'csv' ? ',' : '\t');
    case 'jsonl':
      if (layout.kind !== 'lines' || selection.kind === 'images') return mismatch(inspection, selection);
      return readJsonl(layout, schema, chunk, source, selection);
    case 'parquet':
      if (selection.kind !== 'columns' && selection.kind !== 'named') return mismatch(inspection, selection);
      return readParquet(schema, chunk, source, selection);
    case 'npy':
      if (layout.kind !== 'npy' || schema.kind !== 'array') return mismatch(inspection, selection);
      return readNpy(layout, schema.shape.slice(1), chunk, source);
    case 'image-tar':
      if (layout.kind !== 'tar' || selection.kind !== 'images') return mismatch(inspection, selection);
      return readImageTar(layout, chunk, source, selection, options.maxImageBytes ?? DEFAULT_INPUT_LIMITS.maxImageBytes);
  }
}
