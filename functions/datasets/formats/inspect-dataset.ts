import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DEFAULT_CHECKPOINT_SPACING, type CheckpointSpacing } from './checkpoints';
import type { DatasetFormat, DatasetInspection } from './dataset-types';
import { detectFormat, innerName } from './detect-format';
import { inspectDelimited, type InspectedBody } from './inspect-delimited';
import { inspectImageTar } from './inspect-image-tar';
import { inspectJsonl } from './inspect-jsonl';
import { inspectNpy } from './inspect-npy';
import { inspectParquet } from './inspect-parquet';
import { PlainTee } from './plain-tee';
import type { RangeSource } from './range-source';
import { rejectDataset } from './refusal';
import { streamHead } from './stream-head';

/** Enough to see every signature detectFormat reads (ustar sits at 257). */
const HEAD_BYTES = 512 + 8;

export interface InspectOptions {
  /** The upload's file name: its extension decides when the bytes do not (detect-format.ts). */
  readonly filename: string;
  /** Where a gzip upload's decompressed bytes go (the `plain` object); required for gzip. */
  readonly plainSink?: Writable;
  /** Checkpoint spacing of line formats (tests make it small). */
  readonly spacing?: CheckpointSpacing;
  /** Bytes a gzip upload may decompress to; more refuses it (the bundle limit, say). */
  readonly maxPlainBytes?: number;
}

function inspectBody(format: DatasetFormat, plain: Readable, spacing: CheckpointSpacing): Promise<InspectedBody> {
  switch (format) {
    case 'csv': return inspectDelimited(plain, ',', spacing);
    case 'tsv': return inspectDelimited(plain, '\t', spacing);
    case 'jsonl': return inspectJsonl(plain, spacing);
    case 'npy': return inspectNpy(plain);
    case 'image-tar': return inspectImageTar(plain);
    case 'parquet': throw rejectDataset('A gzipped Parquet file cannot be read by row group; upload the .parquet itself (it compresses its pages already)');
  }
}

const TEXT_FORMATS: ReadonlySet<DatasetFormat> = new Set(['csv', 'tsv', 'jsonl']);

/** Text formats are UTF-8: a NUL byte in the head means another binary format (a zip, an image) or UTF-16 text. */
function refuseBinaryText(format: DatasetFormat, head: Buffer): void {
  if (TEXT_FORMATS.has(format) && head.includes(0)) {
    throw rejectDataset('The upload holds binary bytes (NUL), not UTF-8 text: MLHub reads CSV, TSV and JSON Lines as UTF-8, besides Parquet, NPY and tars of images');
  }
}

/** zlib's failures (codes Z_*) are the upload's fault; anything else (the source failing) is not. */
function describeGzipError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) return rejectDataset(`The upload is not a valid gzip stream (${(error as Error).message})`);
  return error;
}

/**
 * Inspects an uploaded dataset in ONE pass over `stream`, holding only bounded buffers whatever
 * its size: detects its format (detect-format.ts), and for gzip decompresses it, copying the
 * decompressed bytes into `options.plainSink` as they pass (chunks then read byte ranges of that
 * copy). Returns the `DatasetInspection`: rows, schema and the layout the planner cuts.
 *
 * Parquet needs its footer first, so it is refused here: call `inspectParquet(source)` (or
 * `inspectObject`, which chooses). Refusals are AppErrors `dataset_rejected` (invalid) whose
 * message says what and where; any other error is a fault of the source or the sink.
 */
export async function inspectDataset(stream: Readable, options: InspectOptions): Promise<DatasetInspection> {
  const spacing = options.spacing ?? DEFAULT_CHECKPOINT_SPACING;
  const { head, whole } = await streamHead(stream, HEAD_BYTES);
  if (head.length === 0) throw rejectDataset('The dataset is empty (0 bytes)');
  const outer = detectFormat(options.filename, head);
  if (outer.compression === 'none') {
    if (outer.format === 'parquet') throw new Error('inspectDataset cannot read Parquet from a stream: call inspectParquet with a RangeSource');
    refuseBinaryText(outer.format!, head);
    const body = await inspectBody(outer.format!, whole, spacing);
    return { format: outer.format!, compression: 'none', readsFrom: 'data', ...body };
  }

  if (!options.plainSink) throw new Error('A gzip upload needs options.plainSink for its decompressed copy');
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  const tee = new PlainTee(options.plainSink);
  let inflated = 0;
  gunzip.on('data', (chunk: Buffer) => {
    inflated += chunk.length;
    if (options.maxPlainBytes !== undefined && inflated > options.maxPlainBytes) {
      gunzip.destroy(rejectDataset(`The upload decompresses to more than ${options.maxPlainBytes} bytes`));
    }
  });
  const flowing = pipeline(whole, gunzip, tee);
  flowing.catch(() => undefined);
  try {
    const inner = await streamHead(tee, HEAD_BYTES);
    const format = outer.format ?? detectFormat(innerName(options.filename), inner.head).format;
    if (inner.head.length === 0) throw rejectDataset('The gzip upload decompresses to nothing (0 bytes)');
    if (format === undefined) throw rejectDataset('The gzip upload holds another gzip stream; compress the dataset once');
    refuseBinaryText(format, inner.head);
    const body = await inspectBody(format, inner.whole, spacing);
    await flowing;
    return { format, compression: 'gzip', readsFrom: 'plain', ...body };
  } catch (error) {
    const described = describeGzipError(error);
    tee.destroy(described instanceof Error ? described : new Error(String(described)));
    throw described;
  }
}

/** Inspects a stored object: Parquet through ranged reads of its footer, anything else in one streamed pass. */
export async function inspectObject(source: RangeSource, options: InspectOptions): Promise<DatasetInspection> {
  const head = Buffer.from(await source.read(0, Math.min(source.size, HEAD_BYTES)));
  const detected = detectFormat(options.filename, head);
  if (detected.compression === 'none' && detected.format === 'parquet') return inspectParquet(source);
  return inspectDataset(await source.stream(0, source.size), options);
}
