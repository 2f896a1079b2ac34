import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleResults, MissingPartError } from '../../../functions/jobs/outputs/assemble-results';
import { errorsKey, resultsKey } from '../../../functions/jobs/outputs/job-output-keys';
import { concatenateObjects, MIN_PART_BYTES } from '../../../functions/jobs/outputs/object-concatenation';
import { outputColumnsFromPrediction, type OutputColumns } from '../../../functions/jobs/outputs/output-columns';
import type { OutputFormat } from '../../../functions/jobs/outputs/output-format';
import { storePart } from '../../../functions/jobs/outputs/part-store';
import { createPartWriter, type PartRow, type WrittenPart } from '../../../functions/jobs/outputs/part-writer';
import { startLocalS3, type LocalS3 } from '../../support/local-s3';

const BUCKET = 'results';
let local: LocalS3;
let s3: S3Client;

beforeAll(async () => {
  local = await startLocalS3(BUCKET);
  s3 = local.s3;
});

afterAll(() => local?.close());

const OUTPUTS = 40;
const LABELS = ['zero', 'one, two', 'drei "3"'];

/** Full-mantissa doubles from a fixed generator (xorshift), so that compression cannot shrink a "big" part below 5 MiB. */
function* doubles(seed: number): Generator<number> {
  let state = seed | 1;
  for (;;) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    yield (state >>> 0) / 2 ** 32 + (state & 0xfffff) / 2 ** 52 - 0.5;
  }
}

/** Rows [start, start + count); every 997th fails, as a reader's bad row would. */
function rowsOf(start: number, count: number): (PartRow | { row: number; error: string })[] {
  const values = doubles(start + 1);
  return Array.from({ length: count }, (_, index) => {
    const row = start + index;
    if (row % 997 === 3) return { row, error: `column x${row % 7}: "n/a" is not a number` };
    const output = Array.from({ length: OUTPUTS }, () => values.next().value as number);
    if (row % 101 === 0) output[0] = Number.NaN;
    return { row, prediction: { output: output.map((value) => (Number.isNaN(value) ? 'NaN' : value)), label: LABELS[row % 3], probability: (row % 1000) / 1000 }, kept: { id: `id-${row}` } };
  });
}

const columns: OutputColumns = outputColumnsFromPrediction((rowsOf(0, 1)[0] as PartRow).prediction, { kept: [{ name: 'id', type: 'string' }], labelled: true });

interface Chunk {
  readonly rows: readonly (PartRow | { row: number; error: string })[];
  readonly part: WrittenPart;
}

function writeChunk(format: OutputFormat, index: number, start: number, count: number): Chunk {
  const rows = rowsOf(start, count);
  const writer = createPartWriter(format, columns, index);
  for (const row of rows) {
    if ('error' in row) writer.fail(row);
    else writer.add(row);
  }
  return { rows, part: writer.finish() };
}

/** Tens of MB written, read back and compared row by row: more than the default 30 s may take on a busy 2-core machine. */
const BIG_TEST_MS = 180_000;

/** Rows per chunk that make a part over 5 MiB in each format (Parquet's doubles are 8 bytes, the text ones ~20). */
const BIG: Readonly<Record<OutputFormat, number>> = { jsonl: 8000, csv: 8000, parquet: 18_000 };

/** Chunks of the given sizes ('big', a row count, or 0 for a chunk with no rows), stored as a job's parts. */
async function storeJob(jobId: string, format: OutputFormat, sizes: readonly ('big' | number)[]): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  let start = 0;
  for (const [index, size] of sizes.entries()) {
    const count = size === 'big' ? BIG[format] : size;
    const chunk = writeChunk(format, index, start, count);
    start += count;
    chunks.push(chunk);
    await storePart(s3, BUCKET, { jobId, chunk: index, format }, chunk.part);
  }
  return chunks;
}

const read = (key: string): Promise<Buffer> => local.read(key);

const toArrayBuffer = (bytes: Buffer): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** The rows a reader gets back from an assembled Parquet file, in the shape the part writer was given. */
async function parquetRows(bytes: Buffer): Promise<unknown[]> {
  const rows = await parquetReadObjects({ file: toArrayBuffer(bytes) });
  return rows.map((row) => ({
    row: Number(row.row),
    id: row.id,
    output: Array.from({ length: OUTPUTS }, (_, index) => row[`output_${index}`] as number),
    label: row.label,
    probability: row.probability,
  }));
}

const expectedParquetRows = (chunks: readonly Chunk[]) => chunks.flatMap((chunk) => chunk.rows.flatMap((row) => ('error' in row ? [] : [{
  row: row.row,
  id: row.kept?.id,
  output: (row.prediction.output as (number | string)[]).map(Number),
  label: row.prediction.label,
  probability: row.prediction.probability,
}])));

/** Checks the assembled results against the chunks' rows: bytes for the text formats, rows for Parquet; and the error file. */
async function expectAssembled(jobId: string, format: OutputFormat, chunks: readonly Chunk[]): Promise<Buffer> {
  const results = await read(resultsKey(jobId, format));
  if (format === 'parquet') {
    expect(await parquetRows(results)).toEqual(expectedParquetRows(chunks));
    const footer = parquetMetadata(toArrayBuffer(results));
    const partGroups = chunks.flatMap((chunk) => parquetMetadata(toArrayBuffer(chunk.part.body)).row_groups);
    expect(footer.row_groups.length).toBe(chunks.filter((chunk) => chunk.part.rows > 0).length);
    expect(footer.num_rows).toBe(BigInt(expectedParquetRows(chunks).length));
    // The rebuilt footer keeps each row group's statistics and sizes; only offsets move.
    const facts = (groups: typeof partGroups) => groups.map((group) => [group.num_rows, group.columns.map((column) => [column.meta_data?.statistics, column.meta_data?.total_compressed_size, column.meta_data?.encodings])]);
    expect(facts(footer.row_groups)).toEqual(facts(partGroups));
  } else {
    expect(results.equals(Buffer.concat(chunks.map((chunk) => chunk.part.body)))).toBe(true);
    if (format === 'csv') {
      const records = parse(results) as string[][];
      expect(records.slice(1).map((record) => Number(record[0]))).toEqual(expectedParquetRows(chunks).map((row) => row.row));
    }
  }
  const errors = (await read(errorsKey(jobId))).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  expect(errors).toEqual(chunks.flatMap((chunk) => chunk.rows.flatMap((row) => ('error' in row ? [{ row: row.row, error: row.error }] : []))));
  expect(errors.map((error) => error.row)).toEqual([...errors.map((error) => error.row)].sort((a, b) => a - b));
  return results;
}

describe.each(['jsonl', 'csv', 'parquet'] as const)('assembling a job\'s %s parts', (format) => {
  it('joins big, empty and tiny parts in chunk order by a streamed pass, and a retry writes the same bytes', async () => {
    const jobId = `mixed-${format}`;
    const chunks = await storeJob(jobId, format, ['big', 0, 3, 'big', 1, 0, 2000, 5]);
    expect(chunks.some((chunk) => chunk.part.body.length > MIN_PART_BYTES)).toBe(true);
    const first = await assembleResults({ client: s3, bucket: BUCKET, jobId, format, chunks: chunks.map((_, index) => index) });
    expect(first.results.method).toBe('stream');
    const assembled = await expectAssembled(jobId, format, chunks);
    expect(first.results.bytes).toBe(assembled.length);
    const again = await assembleResults({ client: s3, bucket: BUCKET, jobId, format, chunks: chunks.map((_, index) => index) });
    expect(again).toEqual(first);
    expect((await read(resultsKey(jobId, format))).equals(assembled)).toBe(true);
  }, BIG_TEST_MS);

  it('joins parts of at least 5 MiB by multipart copy, the last one tiny, and a retry writes the same bytes', async () => {
    const jobId = `copied-${format}`;
    const chunks = await storeJob(jobId, format, ['big', 'big', 7]);
    const first = await assembleResults({ client: s3, bucket: BUCKET, jobId, format, chunks: [0, 1, 2] });
    expect(first.results.method).toBe('copy');
    const assembled = await expectAssembled(jobId, format, chunks);
    const etag = (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: resultsKey(jobId, format) }))).ETag;
    await assembleResults({ client: s3, bucket: BUCKET, jobId, format, chunks: [0, 1, 2] });
    expect((await read(resultsKey(jobId, format))).equals(assembled)).toBe(true);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: resultsKey(jobId, format) }))).ETag).toBe(etag);
  }, BIG_TEST_MS);

  it('writes a file of the format when every chunk is empty', async () => {
    const jobId = `empty-${format}`;
    const chunks = await storeJob(jobId, format, [0, 0]);
    const assembly = await assembleResults({ client: s3, bucket: BUCKET, jobId, format, chunks: [0, 1] });
    expect(assembly.errors).toMatchObject({ bytes: 0, method: 'put' });
    const results = await read(resultsKey(jobId, format));
    if (format === 'parquet') {
      expect(await parquetReadObjects({ file: toArrayBuffer(results) })).toEqual([]);
      expect(parquetMetadata(toArrayBuffer(results)).schema.map((element) => element.name)).toEqual(['root', 'row', 'id', ...Array.from({ length: OUTPUTS }, (_, index) => `output_${index}`), 'label', 'probability']);
    } else {
      expect(results.equals(Buffer.concat(chunks.map((chunk) => chunk.part.body)))).toBe(true);
    }
  });
});

describe('assembling a job with a part missing', () => {
  it('throws MissingPartError naming the part, and writes nothing', async () => {
    const jobId = 'missing';
    await storeJob(jobId, 'jsonl', [2, 2, 2]);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `jobs/${jobId}/parts/000001.jsonl` }));
    await expect(assembleResults({ client: s3, bucket: BUCKET, jobId, format: 'jsonl', chunks: [0, 1, 2] })).rejects.toThrow(MissingPartError);
    await expect(assembleResults({ client: s3, bucket: BUCKET, jobId, format: 'jsonl', chunks: [0, 1, 2] })).rejects.toThrow('jobs/missing/parts/000001.jsonl');
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: resultsKey(jobId, 'jsonl') }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});

describe('a concatenation whose source is not what was listed', () => {
  it.each([
    ['streamed', [{ key: 'src/small', start: 0, end: 100 }, { key: 'src/big', start: 0, end: MIN_PART_BYTES + 10 }]],
    ['copied', [{ key: 'src/big', start: 0, end: MIN_PART_BYTES + 10 }, { key: 'src/small', start: 0, end: 100 }]],
  ])('%s: fails, and leaves no object behind', async (name, segments) => {
    // src/big is shorter than the range asked for, as a part overwritten after the listing would be.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'src/small', Body: Buffer.alloc(100, 1) }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'src/big', Body: Buffer.alloc(MIN_PART_BYTES, 2) }));
    const key = `out/${name}`;
    await expect(concatenateObjects({ client: s3, bucket: BUCKET, key, contentType: 'application/octet-stream' }, segments)).rejects.toThrow();
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});
