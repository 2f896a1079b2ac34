import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parquetMetadata, type ColumnChunk, type FileMetaData, type RowGroup } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { Segment } from './object-concatenation';

/**
 * One Parquet file from a job's Parquet parts (parquet-part.ts), by their bytes.
 *
 * A Parquet file is `PAR1`, the column chunks of its row groups, the footer (FileMetaData, Thrift
 * compact), its length and `PAR1` (Apache Parquet, "File Format"); the footer locates every column
 * chunk by absolute offset. So the parts join as: `PAR1`, each part's column chunks as they are,
 * then one footer listing every part's row groups, their offsets moved by where the part's chunks
 * now sit. Nothing is decoded or re-encoded; the bytes of the row groups move by S3 multipart copy
 * when every part's chunks are at least 5 MiB, else by one streamed pass (object-concatenation.ts).
 *
 * Why not decode each part and write one file with one hyparquet-writer ParquetWriter streaming
 * into an Upload, part by part: that holds a part's decoded rows (its memory grows with the chunk
 * size), re-compresses every page and streams every byte through the finalizer, where the byte join
 * holds only the footers (a few KB per part) and, on the copy path, moves no bytes itself. Measured
 * by `npm run bench:assembly` (bench/results/assembly.md), 1M rows (10 float outputs, label,
 * probability, a kept id; 92 MB of Parquet), peak RSS of the assembling process, 106 MB of which is
 * the process doing nothing:
 * - 100 parts of 10k rows: byte join (streamed) 4.3 s, 206 MB (185 MB under a 64 MB V8 heap cap);
 *   decode + one writer 18.6 s, 248 MB (204 MB capped, 31 s);
 * - 10 parts of 100k rows: byte join (multipart copy) 1.2 s, 119 MB (117 MB capped); decode + one
 *   writer 25.2 s, 402 MB, and out of memory under the 64 MB heap cap.
 *
 * A part's footer is read with two ranged GETs at most (its tail, then the rest of a long footer).
 * Parts must share one schema and carry no page indexes or bloom filters (their offsets live
 * outside the footer); a part that breaks this is a fault of the job's writer and throws.
 */
export interface StoredPart {
  readonly key: string;
  readonly size: number;
}

const MAGIC = Buffer.from('PAR1');
/** Tail read first: a part's footer (one or a few row groups) is a few KB. */
const TAIL_BYTES = 64 * 1024;

async function readRange(client: S3Client, bucket: string, key: string, start: number, end: number): Promise<Uint8Array> {
  const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
  if (!Body) throw new Error(`S3 returned no body for ${key}`);
  const bytes = await Body.transformToByteArray();
  if (bytes.length !== end - start) throw new Error(`S3 returned ${bytes.length} bytes of ${key} [${start}, ${end})`);
  return bytes;
}

/** A part's footer, and where its footer starts. */
async function readFooter(client: S3Client, bucket: string, part: StoredPart): Promise<{ metadata: FileMetaData; footerStart: number }> {
  if (part.size < 12) throw new Error(`${part.key} is ${part.size} bytes, too short for a Parquet file`);
  let tailStart = Math.max(0, part.size - TAIL_BYTES);
  let tail = await readRange(client, bucket, part.key, tailStart, part.size);
  const view = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength);
  if (!view.subarray(view.length - 4).equals(MAGIC)) throw new Error(`${part.key} does not end in PAR1`);
  const footerStart = part.size - 8 - view.readUInt32LE(view.length - 8);
  if (footerStart < 4) throw new Error(`${part.key} has a footer longer than the file`);
  if (footerStart < tailStart) {
    tailStart = footerStart;
    tail = await readRange(client, bucket, part.key, tailStart, part.size);
  }
  return { metadata: parquetMetadata(tail.subarray(footerStart - tailStart)), footerStart };
}

const shift = (offset: bigint | undefined, delta: bigint): bigint | undefined => (offset === undefined ? undefined : offset + delta);

/** Where a column chunk's pages start: its dictionary page if it has one (Parquet format, ColumnMetaData). */
const chunkStart = (chunk: ColumnChunk): bigint => chunk.meta_data?.dictionary_page_offset ?? chunk.meta_data?.data_page_offset ?? 0n;

function moved(rowGroup: RowGroup, delta: bigint, key: string): RowGroup {
  return {
    ...rowGroup,
    ...(rowGroup.file_offset !== undefined ? { file_offset: rowGroup.file_offset + delta } : {}),
    columns: rowGroup.columns.map((chunk) => {
      if (chunk.offset_index_offset !== undefined || chunk.column_index_offset !== undefined || chunk.meta_data?.bloom_filter_offset !== undefined || !chunk.meta_data) {
        throw new Error(`${key} has page indexes or bloom filters, which a byte join cannot move`);
      }
      return {
        ...chunk,
        file_offset: chunk.file_offset + delta,
        meta_data: {
          ...chunk.meta_data,
          data_page_offset: chunk.meta_data.data_page_offset + delta,
          ...(chunk.meta_data.dictionary_page_offset !== undefined ? { dictionary_page_offset: shift(chunk.meta_data.dictionary_page_offset, delta) } : {}),
          ...(chunk.meta_data.index_page_offset !== undefined ? { index_page_offset: shift(chunk.meta_data.index_page_offset, delta) } : {}),
        },
      };
    }),
  };
}

/** JSON text of a schema, for comparing parts' schemas (bigints as text). */
const schemaText = (metadata: FileMetaData): string => JSON.stringify(metadata.schema, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

/**
 * The segments that write the joined file: the first part with row groups from its own `PAR1`
 * (so that on the copy path every segment is a stored range), each part's column chunks, and the
 * new footer as bytes. Parts without rows add nothing but are checked like the others.
 */
export async function parquetSegments(client: S3Client, bucket: string, parts: readonly StoredPart[]): Promise<Segment[]> {
  if (parts.length === 0) throw new Error('a Parquet result needs at least one part, for its schema');
  const segments: Segment[] = [];
  const rowGroups: RowGroup[] = [];
  let first: FileMetaData | undefined;
  let position = MAGIC.length;
  let rows = 0n;
  for (const part of parts) {
    const { metadata, footerStart } = await readFooter(client, bucket, part);
    first ??= metadata;
    if (schemaText(metadata) !== schemaText(first)) throw new Error(`${part.key} has another schema than ${parts[0]!.key}`);
    if (metadata.row_groups.length === 0) continue;
    const chunks = metadata.row_groups.flatMap((group) => group.columns);
    const start = chunks.reduce((lowest, chunk) => (chunkStart(chunk) < lowest ? chunkStart(chunk) : lowest), BigInt(footerStart));
    const end = chunks.reduce((highest, chunk) => {
      const chunkEnd = chunkStart(chunk) + (chunk.meta_data?.total_compressed_size ?? 0n);
      return chunkEnd > highest ? chunkEnd : highest;
    }, start);
    if (start < 4n || end > BigInt(footerStart)) throw new Error(`${part.key} has column chunks outside its data`);
    const delta = BigInt(position) - start;
    rowGroups.push(...metadata.row_groups.map((group) => moved(group, delta, part.key)));
    rows += metadata.num_rows;
    const withMagic = segments.length === 0 && start === 4n;
    if (segments.length === 0 && !withMagic) segments.push({ bytes: MAGIC });
    segments.push({ key: part.key, start: withMagic ? 0 : Number(start), end: Number(end) });
    position += Number(end - start);
  }
  if (segments.length === 0) segments.push({ bytes: MAGIC });
  const writer = new ByteWriter();
  const footer: FileMetaData = {
    version: first!.version,
    schema: first!.schema,
    num_rows: rows,
    row_groups: rowGroups,
    created_by: first!.created_by,
    ...(first!.key_value_metadata ? { key_value_metadata: first!.key_value_metadata } : {}),
  } as FileMetaData;
  writeMetadata(writer, footer as Parameters<typeof writeMetadata>[1]);
  writer.appendUint32(MAGIC.readUInt32LE(0));
  segments.push({ bytes: new Uint8Array(writer.getBuffer()) });
  return segments;
}
