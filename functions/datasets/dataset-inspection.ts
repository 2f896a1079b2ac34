/**
 * The one seam between the dataset resource and the reading of formats (docs: /work/wt/DESIGN15.md,
 * "Formats and the inspection"). Everything under functions/datasets/ but formats/ reads datasets
 * through this module only.
 *
 * Wired at merge (jobs branch) to functions/datasets/formats/: the names the finalizer uses stay as
 * they were (DatasetRefusal, detectFormat answering undefined when it cannot tell, inspectDataset
 * taking the declared format and a plain sink made on demand), each delegating to formats/.
 */
import type { Readable, Writable } from 'node:stream';
import type { DatasetCompression, DatasetFormat, DatasetInspection } from './formats/dataset-types';
import { detectFormat as detect } from './formats/detect-format';
import { inspectDataset as inspectStream } from './formats/inspect-dataset';
import { inspectParquet as inspectFooter } from './formats/inspect-parquet';
import type { RangeSource } from './formats/range-source';
import { isRefusal } from './formats/refusal';
import { checkSchemaBounds } from './formats/schema-bounds';

export type { ColumnType, DatasetCompression, DatasetFormat, DatasetInspection, DatasetLayout, DatasetSchema } from './formats/dataset-types';
export type { RangeSource } from './formats/range-source';
export const DATASET_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet', 'npy', 'image-tar'] as const satisfies readonly DatasetFormat[];

/** A structural fault of the file as a whole: the dataset becomes `rejected` with this message. */
export class DatasetRefusal extends Error {
  override readonly name = 'DatasetRefusal';
}

/** formats/ refuses with AppError dataset_rejected; the finalizer knows DatasetRefusal. */
function asRefusal(error: unknown): unknown {
  return isRefusal(error) ? new DatasetRefusal(error.message) : error;
}

/** By magic bytes first (gzip 1f8b, PAR1, \x93NUMPY, ustar at 257), then by extension; undefined when neither says. */
export function detectFormat(filename: string, firstBytes: Uint8Array): { format: DatasetFormat; compression: DatasetCompression } | undefined {
  const found = detect(filename, firstBytes);
  // A bare `.gz`: formats/ tells the inner format from the decompressed head, during the inspection.
  return found.format ? { format: found.format, compression: found.compression } : found.compression === 'gzip' ? { format: 'csv', compression: 'gzip' } : undefined;
}

/**
 * Rows between checkpoints of a line format (where chunks may be cut): formats/'s default unless
 * MLHUB_DATASET_CHECKPOINT_ROWS says fewer, so that tests make multi-chunk jobs of small files.
 */
function checkpointSpacing(): { rows: number; bytes: number } | undefined {
  const rows = Number(process.env.MLHUB_DATASET_CHECKPOINT_ROWS);
  return Number.isSafeInteger(rows) && rows >= 1 ? { rows, bytes: 1024 * 1024 } : undefined;
}

const EXTENSIONS: Readonly<Record<DatasetFormat, string>> = { csv: '.csv', tsv: '.tsv', jsonl: '.jsonl', parquet: '.parquet', npy: '.npy', 'image-tar': '.tar' };

export interface InspectOptions {
  readonly filename: string;
  readonly format: DatasetFormat;
  readonly compression: DatasetCompression;
  /** Where the decompressed bytes of a gzip upload go while they are inspected (the `plain` object). */
  readonly plainSink?: () => Writable;
  /** Bytes a gzip upload may decompress to: more refuses it (the bundles' unpacked limit, MLHUB_MAX_UNPACKED_BYTES). */
  readonly maxPlainBytes: number;
}

/**
 * Reads the object once as a stream and describes it (formats/inspect-dataset.ts). The declared
 * format decides where the bytes do not: the name handed to detection carries its extension.
 * Throws DatasetRefusal for a file that is not a dataset, or whose schema the record cannot hold
 * (formats/schema-bounds.ts); any other error is a fault of reading.
 */
export async function inspectDataset(stream: Readable, options: InspectOptions): Promise<DatasetInspection> {
  const filename = `dataset${EXTENSIONS[options.format]}${options.compression === 'gzip' ? '.gz' : ''}`;
  const plainSink = options.compression === 'gzip' ? options.plainSink?.() : undefined;
  try {
    const spacing = checkpointSpacing();
    const inspection = await inspectStream(stream, { filename, maxPlainBytes: options.maxPlainBytes, ...(plainSink ? { plainSink } : {}), ...(spacing ? { spacing } : {}) });
    checkSchemaBounds(inspection.schema);
    return inspection;
  } catch (error) {
    stream.resume();
    throw asRefusal(error);
  }
}

/** Parquet is read by its footer, by range (formats/inspect-parquet.ts). */
export async function inspectParquet(source: RangeSource): Promise<DatasetInspection> {
  try {
    const inspection = await inspectFooter(source);
    checkSchemaBounds(inspection.schema);
    return inspection;
  } catch (error) {
    throw asRefusal(error);
  }
}
