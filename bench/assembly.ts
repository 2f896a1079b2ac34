/**
 * bench:assembly: the memory the job finalizer's assembly needs (functions/jobs/outputs/), on a
 * large generated output, written to bench/results/assembly.md.
 *
 * A job of ROWS rows (10 float outputs, a label and a probability, an id kept) is written as parts
 * by the real part writers into a local S3, then assembled in a child process (so that only the
 * assembly's memory is counted, not the S3 server's), whose peak RSS (VmHWM) is
 * reported with the RSS of the same child doing nothing but loading the modules. Compared:
 * - parquet, small parts (streamed pass) and parts over 5 MiB (multipart copy): the byte join;
 * - parquet, the alternative: each part decoded by hyparquet and the whole file written by one
 *   hyparquet-writer ParquetWriter streaming into lib-storage's Upload, part by part;
 * - jsonl, small parts: the streamed pass of the text formats.
 *
 * Usage: npm run bench:assembly [-- --rows 1000000]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { assembleResults } from '../functions/jobs/outputs/assemble-results';
import { partKey, resultsKey } from '../functions/jobs/outputs/job-output-keys';
import { outputColumnsFromPrediction } from '../functions/jobs/outputs/output-columns';
import type { OutputFormat } from '../functions/jobs/outputs/output-format';
import { storePart } from '../functions/jobs/outputs/part-store';
import { createPartWriter } from '../functions/jobs/outputs/part-writer';
import { LOCAL_S3_CREDENTIALS, startS3Server } from '../local/s3-server';
import { peakRssMb } from './support/peak-rss';

const BUCKET = 'bench';
const here = dirname(fileURLToPath(import.meta.url));

const client = (endpoint: string) => new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });

const LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

function prediction(row: number) {
  const output = Array.from({ length: 10 }, (_, index) => Math.sin(row * 10 + index) / 3 + 0.1);
  return { output, label: LABELS[row % 10]!, probability: Math.abs(Math.cos(row)) };
}

const columns = outputColumnsFromPrediction(prediction(0), { kept: [{ name: 'id', type: 'string' }], labelled: true });

async function writeJob(s3: S3Client, jobId: string, format: OutputFormat, rows: number, rowsPerPart: number): Promise<number> {
  const parts = Math.ceil(rows / rowsPerPart);
  for (let chunk = 0; chunk < parts; chunk += 1) {
    const writer = createPartWriter(format, columns, chunk);
    for (let row = chunk * rowsPerPart; row < Math.min(rows, (chunk + 1) * rowsPerPart); row += 1) {
      if (row % 10_007 === 5) writer.fail({ row, error: 'column x3: "n/a" is not a number' });
      else writer.add({ row, prediction: prediction(row), kept: { id: `id-${row}` } });
    }
    await storePart(s3, BUCKET, { jobId, chunk, format }, writer.finish());
  }
  return parts;
}

/** The alternative to the byte join: decode each part, write one file with one ParquetWriter streaming into an Upload. */
async function reencode(s3: S3Client, jobId: string, parts: number): Promise<void> {
  const body = new PassThrough();
  body.on('error', () => undefined);
  const upload = new Upload({ client: s3, params: { Bucket: BUCKET, Key: resultsKey(jobId, 'parquet'), Body: body } });
  const done = upload.done();
  const writer = new ByteWriter();
  // hyparquet-writer calls flush after each row group: hand the bytes on and wait for the stream.
  (writer as unknown as { flush: () => Promise<void> }).flush = () => {
    const chunk = Buffer.from(writer.getBytes());
    writer.index = 0;
    return body.write(chunk) ? Promise.resolve() : new Promise((resolve) => body.once('drain', resolve));
  };
  let parquet: ParquetWriter | undefined;
  for (let chunk = 0; chunk < parts; chunk += 1) {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: partKey(jobId, chunk, 'parquet') }));
    const bytes = await Body!.transformToByteArray();
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const rows = await parquetReadObjects({ file });
    const names = Object.keys(rows[0] ?? {});
    if (!parquet) {
      parquet = new ParquetWriter({ writer, schema: parquetMetadata(file).schema as ConstructorParameters<typeof ParquetWriter>[0]['schema'] });
    }
    await parquet.write({ columnData: names.map((name) => ({ name, data: rows.map((row) => row[name]) })), rowGroupSize: 1_000_000 });
  }
  await parquet?.finish();
  await (writer as unknown as { flush: () => Promise<void> }).flush();
  body.end();
  await done;
}

/** Both ways must have written the whole file: its footer counts every row that did not fail. */
async function checkParquet(s3: S3Client, jobId: string, rows: number): Promise<void> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: resultsKey(jobId, 'parquet') }));
  const bytes = await Body!.transformToByteArray();
  const found = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).num_rows;
  const expected = BigInt(rows - Array.from({ length: rows }, (_, row) => row).filter((row) => row % 10_007 === 5).length);
  if (found !== expected) throw new Error(`${jobId}: ${found} rows, expected ${expected}`);
}

/** In the child: one assembly, then its peak RSS as JSON on stdout. */
async function child(endpoint: string, mode: string, jobId: string, format: OutputFormat, parts: number): Promise<void> {
  const s3 = client(endpoint);
  const started = process.hrtime.bigint();
  let method = 'none';
  if (mode === 'assemble') method = (await assembleResults({ client: s3, bucket: BUCKET, jobId, format, chunks: Array.from({ length: parts }, (_, index) => index) })).results.method;
  if (mode === 'reencode') {
    await reencode(s3, jobId, parts);
    method = 'reencode';
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ method, seconds, peakRssMb: await peakRssMb('self') })}\n`);
  s3.destroy();
}

/**
 * Each case runs twice: as it is, and with the child's V8 old space capped at CAPPED_HEAP_MB. V8
 * collects lazily, so an uncapped peak shows garbage not yet collected as much as memory held; an
 * assembly that held its output (or a part's decoded rows) fails under the cap.
 */
const CAPPED_HEAP_MB = 64;

function runChild(endpoint: string, mode: string, jobId: string, format: OutputFormat, parts: number, childFlags: readonly string[] = []): Promise<{ method: string; seconds: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...childFlags, '--no-warnings', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', endpoint, mode, jobId, format, String(parts)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(here, '..') });
    let out = '';
    proc.stdout.on('data', (data: Buffer) => {
      out += data.toString();
    });
    proc.on('error', reject);
    // A child killed by V8 for want of heap (under --heap) is a result: that way needs more memory.
    proc.on('close', (code, signal) => resolve(code === 0 ? JSON.parse(out.trim().split('\n').pop()!) : { method: `failed (${signal ?? `exit ${code}`}: out of memory?)`, seconds: Number.NaN, peakRssMb: Number.NaN }));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child(args[1]!, args[2]!, args[3]!, args[4] as OutputFormat, Number(args[5]));
    return;
  }
  const rowsFlag = args.indexOf('--rows');
  const rows = rowsFlag >= 0 ? Number(args[rowsFlag + 1]) : 1_000_000;
  const directory = await mkdtemp(join(tmpdir(), 'mlhub-bench-assembly-'));
  const server = await startS3Server({ directory, host: '127.0.0.1', buckets: [BUCKET] });
  const s3 = client(server.endpoint);
  try {
    const parts = (count: number) => `${count} parts of ${(rows / count).toLocaleString('en')} rows`;
    const cases: { name: string; jobId: string; format: OutputFormat; perPart: number; mode: string }[] = [
      { name: `parquet, ${parts(100)}: byte join`, jobId: 'pq-small', format: 'parquet', perPart: rows / 100, mode: 'assemble' },
      { name: 'parquet, same parts: decode + one ParquetWriter', jobId: 'pq-small', format: 'parquet', perPart: rows / 100, mode: 'reencode' },
      { name: `parquet, ${parts(10)}: byte join`, jobId: 'pq-big', format: 'parquet', perPart: rows / 10, mode: 'assemble' },
      { name: 'parquet, same parts: decode + one ParquetWriter', jobId: 'pq-big', format: 'parquet', perPart: rows / 10, mode: 'reencode' },
      { name: `jsonl, ${parts(100)}: byte join`, jobId: 'jl-small', format: 'jsonl', perPart: rows / 100, mode: 'assemble' },
      { name: `jsonl, ${parts(10)}: byte join`, jobId: 'jl-big', format: 'jsonl', perPart: rows / 10, mode: 'assemble' },
    ];
    const written = new Map<string, number>();
    const baseline = await runChild(server.endpoint, 'idle', 'none', 'jsonl', 0);
    const lines = [`# bench:assembly`, '', `${rows.toLocaleString('en')} rows (10 float outputs, label, probability, a kept id). Peak RSS of the assembling process (VmHWM); the same process loading the modules and doing nothing peaks at ${baseline.peakRssMb.toFixed(0)} MB. Then the same with the V8 heap capped at ${CAPPED_HEAP_MB} MB (--max-old-space-size): V8 collects lazily, so the uncapped peak counts garbage not yet collected; an assembly that held its output would fail under the cap.`, '', '| case | method | file MB | seconds | peak RSS MB | capped: seconds | capped: peak RSS MB |', '|---|---|---|---|---|---|---|'];
    for (const test of cases) {
      if (!written.has(test.jobId)) written.set(test.jobId, await writeJob(s3, test.jobId, test.format, rows, test.perPart));
      const runs = [];
      let size = 0;
      for (const flags of [[], [`--max-old-space-size=${CAPPED_HEAP_MB}`]]) {
        // A result left by an earlier run must not pass for this one's.
        await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: resultsKey(test.jobId, test.format) }));
        const result = await runChild(server.endpoint, test.mode, test.jobId, test.format, written.get(test.jobId)!, flags);
        if (test.format === 'parquet' && !result.method.startsWith('failed')) await checkParquet(s3, test.jobId, rows);
        if (runs.length === 0) size = (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: resultsKey(test.jobId, test.format) }))).ContentLength ?? 0;
        runs.push(result);
      }
      const [free, capped] = runs as [Awaited<ReturnType<typeof runChild>>, Awaited<ReturnType<typeof runChild>>];
      const line = `| ${test.name} | ${free.method} | ${(size / 1024 / 1024).toFixed(1)} | ${free.seconds.toFixed(1)} | ${free.peakRssMb.toFixed(0)} | ${capped.method.startsWith('failed') ? capped.method : capped.seconds.toFixed(1)} | ${capped.peakRssMb.toFixed(0)} |`;
      console.log(line);
      lines.push(line);
    }
    await mkdir(join(here, 'results'), { recursive: true });
    await writeFile(join(here, 'results', 'assembly.md'), `${lines.join('\n')}\n`);
  } finally {
    s3.destroy();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
