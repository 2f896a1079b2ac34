import type { DatasetCompression, DatasetFormat } from './dataset-types';

export interface DetectedFormat {
  /** Undefined only for a gzip upload whose name does not say what it holds: its decompressed bytes decide. */
  readonly format: DatasetFormat | undefined;
  readonly compression: DatasetCompression;
}

const startsWith = (bytes: Uint8Array, at: number, text: string): boolean =>
  bytes.length >= at + text.length && [...text].every((char, index) => bytes[at + index] === char.charCodeAt(0));

/** Binary signatures: Parquet's `PAR1` (format spec, "File format"), NPY's `\x93NUMPY` (numpy NEP 1), gzip's 1f 8b (RFC 1952 §2.3.1), POSIX ustar's `ustar` at byte 257. */
function byMagic(bytes: Uint8Array): DetectedFormat | undefined {
  if (startsWith(bytes, 0, 'PAR1')) return { format: 'parquet', compression: 'none' };
  if (bytes[0] === 0x93 && startsWith(bytes, 1, 'NUMPY')) return { format: 'npy', compression: 'none' };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { format: undefined, compression: 'gzip' };
  if (startsWith(bytes, 257, 'ustar')) return { format: 'image-tar', compression: 'none' };
  return undefined;
}

const EXTENSIONS: readonly (readonly [RegExp, DatasetFormat])[] = [
  [/\.csv$/i, 'csv'],
  [/\.tsv$|\.tab$/i, 'tsv'],
  [/\.jsonl$|\.ndjson$|\.jsonlines$/i, 'jsonl'],
  [/\.parquet$|\.pq$/i, 'parquet'],
  [/\.npy$/i, 'npy'],
  [/\.tar$/i, 'image-tar'],
];

/** The name without its compression suffix: `a.csv.gz` → `a.csv`, `a.tgz` → `a.tar`. */
export const innerName = (filename: string): string => filename.replace(/\.tgz$/i, '.tar').replace(/\.gz$/i, '');

const byExtension = (filename: string): DatasetFormat | undefined => EXTENSIONS.find(([pattern]) => pattern.test(filename))?.[1];

/** Text that is neither: JSON Lines if it opens with `{` or `[`, TSV if its first line has tabs and no commas, else CSV. */
function byText(bytes: Uint8Array): DatasetFormat {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') return 'jsonl';
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.includes('\t') && !line.includes(',') ? 'tsv' : 'csv';
}

/**
 * Which format an upload is: by its magic bytes first, then by its name's extension, then (for
 * text) by its first line. For gzip the name decides what the decompressed bytes are
 * (`.csv.gz`, `.tsv.gz`, `.jsonl.gz`, `.ndjson.gz`, `.npy.gz`, `.tar.gz`, `.tgz`); with a bare
 * `.gz` the format is left undefined for the caller to detect on the decompressed head
 * (`detectFormat(innerName(name), head)`).
 */
export function detectFormat(filename: string, firstBytes: Uint8Array): DetectedFormat {
  const magic = byMagic(firstBytes);
  if (magic?.compression === 'gzip') {
    const inner = innerName(filename);
    return { format: inner === filename ? undefined : byExtension(inner), compression: 'gzip' };
  }
  if (magic) return magic;
  return { format: byExtension(filename) ?? byText(firstBytes), compression: 'none' };
}
