/**
 * `npm run bench:batch`: MLHub's batch jobs against a hand-written loop, written to
 * bench/results/batch.md (issue 15, "Benchmark").
 *
 * Data: ROWS rows × 784 pixel columns, written once as CSV and as Parquet (bench/support/batch-data.ts),
 * and the same for a quarter of ROWS (the second size point, for RSS against the dataset's size).
 * MLHub: `npm start` in its own process (test/support/local-runtime.ts) with the demo model and the
 * MLP of bench:predict; each dataset uploaded through the datasets routes; then for each size ×
 * format × model, a job timed from its POST to its assembled results file downloaded (CSV results
 * for the CSV dataset, Parquet for the Parquet one), the runtime's peak RSS (VmHWM, reset before
 * the job) and CPU time. Baseline, interleaved: bench/support/raw-batch-loop.ts, in a process of
 * its own, on the same file, model, batch size and output format.
 *
 * Settings: BENCH_BATCH_ROWS (default 1,000,000; develop at 50,000), BENCH_BATCH_ROW_GROUP (rows
 * per Parquet row group, default 50,000), BENCH_BATCH_CPU_PROF (a folder: the runtime runs with
 * --cpu-prof into it), BENCH_BATCH_ONLY (e.g. "parquet" or "csv:mlp": run only matching cases),
 * BENCH_BATCH_THREADS=1 (print the runtime's CPU seconds by thread for each job).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadataAsync, asyncBufferFromFile } from 'hyparquet';
import { downloadToFile, putFileRange } from '../cli/file-transfer';
import { PROJECT_ROOT } from '../lib/functions/handler-bundling';
import { DEMO_MODEL } from '../local/demo-model';
import { removeDataDir, startMlhub, type RunningMlhub } from '../test/support/local-runtime';
import { makeTarGz } from '../test/support/tarballs';
import { PIXEL_COLUMNS, writeBatchData } from './support/batch-data';
import { mlpClassifierOnnx } from './support/mlp-model';
import { peakRssMb, resetPeakRss } from './support/peak-rss';

const ROWS = Math.max(1000, Number(process.env.BENCH_BATCH_ROWS) || 1_000_000);
const ROW_GROUP = Math.max(1000, Number(process.env.BENCH_BATCH_ROW_GROUP) || 50_000);
const CPU_PROF = process.env.BENCH_BATCH_CPU_PROF;
const ONLY = process.env.BENCH_BATCH_ONLY;
const THREADS = process.env.BENCH_BATCH_THREADS === '1';
/** The job's batch (MLHUB_JOB_BATCH_ROWS, its default), which the baseline uses too. */
const BATCH_ROWS = 256;
const REPORT = join(PROJECT_ROOT, 'bench', 'results', 'batch.md');
const GOALS = { ratio: 0.8, peakRssMb: 1024 };
const MLP_MODEL = 'bench-mlp';
const DEMO_DIR = join(PROJECT_ROOT, 'models/demo/mnist');
const CLOCK_TICKS = 100;
/** How often the job is polled, as a client showing progress would. */
const POLL_MS = 500;
/** GETs sent again after a reset connection (see call). */
let resets = 0;

type Format = 'csv' | 'parquet';
interface Model { readonly name: string; readonly label: string; readonly file: string; readonly labels?: string }
interface Run { readonly seconds: number; readonly peakRssMb: number; readonly cpuSeconds: number; readonly load: number }
interface Case { readonly rows: number; readonly format: Format; readonly model: Model; readonly mlhub: Run; readonly baseline: Run }

const loadAverage = async (): Promise<number> => Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);

/** CPU seconds by thread (comm#tid) of a process so far: main thread, ONNX Runtime's, libuv's pool, V8's workers. */
async function threadCpuSeconds(pid: number): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${task}/stat`, 'utf8').catch(() => '');
    const name = `${/\((.*)\)/s.exec(stat)?.[1] ?? '?'}#${task}`;
    const fields = stat.replace(/^.*\) /s, '').split(' ');
    byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
  }
  return byName;
}

/** User + system CPU seconds of a process so far, its threads included (proc(5), /proc/<pid>/stat fields 14 and 15). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * One API call. A GET whose kept-alive connection the server closed as it was sent (ECONNRESET:
 * the server's keep-alive timer fired late, after a long synchronous stretch) is sent again once.
 */
async function call(mlhub: RunningMlhub, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const send = () => fetch(`${mlhub.url}${path}`, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const reply = await send().catch((error: unknown) => {
    if (method !== 'GET' || (error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
    resets += 1;
    return send();
  });
  return { status: reply.status, body: (await reply.json().catch(() => ({}))) as Record<string, unknown> };
}

function expectStatus(reply: { status: number; body: unknown }, status: number, what: string): void {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 500)}`);
}

interface UploadView { upload_id: string; part_size: number; part_count: number; urls: { part: number; size: number; url: string; headers: Record<string, string> }[]; complete_url: string }

/** A dataset through the API: create, PUT every part from disk (URLs 100 at a time), complete, wait until inspected. */
async function uploadDataset(mlhub: RunningMlhub, path: string, filename: string): Promise<string> {
  const { size } = await stat(path);
  const created = await call(mlhub, 'POST', '/datasets', { filename, size });
  expectStatus(created, 201, `POST /datasets (${filename})`);
  const id = created.body.id as string;
  const upload = created.body.upload as UploadView;
  let urls = upload.urls;
  for (let part = 1; part <= upload.part_count; part += 1) {
    let url = urls.find((candidate) => candidate.part === part);
    if (!url) {
      const more = await call(mlhub, 'GET', `/datasets/${id}/uploads/${upload.upload_id}?parts=${part}-${Math.min(upload.part_count, part + 99)}`);
      expectStatus(more, 200, 'GET the upload\'s next URLs');
      urls = more.body.urls as UploadView['urls'];
      url = urls.find((candidate) => candidate.part === part)!;
    }
    await putFileRange(url.url, path, (part - 1) * upload.part_size, url.size, () => undefined, url.headers);
  }
  let completed = await call(mlhub, 'POST', upload.complete_url);
  while (completed.status === 202 || completed.body.status === 'pending') {
    await new Promise((resolve) => setTimeout(resolve, 500));
    completed = await call(mlhub, 'GET', `/datasets/${id}`);
  }
  if (completed.body.status !== 'ready') throw new Error(`${filename} was not accepted: ${JSON.stringify(completed.body).slice(0, 500)}`);
  return id;
}

async function uploadMlp(mlhub: RunningMlhub, file: string): Promise<void> {
  const bundle = await makeTarGz([{ name: 'mlp/', type: 'directory' }, { name: 'mlp/model.onnx', content: await readFile(file) }]);
  expectStatus(await call(mlhub, 'POST', `/model/${MLP_MODEL}`, { type: 'onnx' }), 201, 'creating the MLP');
  const uploaded = await fetch(`${mlhub.url}/model/${MLP_MODEL}/upload`, { method: 'POST', body: bundle, headers: { 'content-type': 'application/octet-stream' } });
  if (uploaded.status !== 201) throw new Error(`uploading the MLP answered ${uploaded.status}`);
}

/** Rows in a results file: CSV lines less the header, or the Parquet footer's count. */
async function resultRows(path: string, format: Format): Promise<number> {
  if (format === 'parquet') return Number((await parquetMetadataAsync(await asyncBufferFromFile(path))).num_rows);
  let lines = 0;
  for await (const piece of createReadStream(path)) {
    for (let at = (piece as Buffer).indexOf(10); at !== -1; at = (piece as Buffer).indexOf(10, at + 1)) lines += 1;
  }
  return lines - 1;
}

/** One MLHub job, from its POST to its results file on disk. */
async function runJob(mlhub: RunningMlhub, model: Model, dataset: string, format: Format, rows: number, out: string): Promise<Run> {
  await resetPeakRss(mlhub.pid);
  const cpuBefore = await cpuSeconds(mlhub.pid);
  const threadsBefore = THREADS ? await threadCpuSeconds(mlhub.pid) : undefined;
  const started = process.hrtime.bigint();
  const created = await call(mlhub, 'POST', `/model/${model.name}/jobs`, { dataset, columns: PIXEL_COLUMNS, output: { format } });
  expectStatus(created, 202, `POST /model/${model.name}/jobs`);
  const id = created.body.id as string;
  let job = created.body;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.state as string)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const reply = await call(mlhub, 'GET', `/jobs/${id}`);
    expectStatus(reply, 200, `GET /jobs/${id}`);
    job = reply.body;
  }
  if (job.state !== 'succeeded' || job.rows_done !== rows || job.rows_failed !== 0) throw new Error(`Job ${id} ended ${JSON.stringify(job).slice(0, 800)}`);
  const results = await call(mlhub, 'GET', `/jobs/${id}/results`);
  expectStatus(results, 200, `GET /jobs/${id}/results`);
  await downloadToFile((results.body.results as { url: string }).url, out, () => undefined);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const run = { seconds, peakRssMb: await peakRssMb(mlhub.pid), cpuSeconds: (await cpuSeconds(mlhub.pid)) - cpuBefore, load: await loadAverage() };
  if (threadsBefore) {
    const after = await threadCpuSeconds(mlhub.pid);
    console.log(`  CPU s by thread: ${[...after].map(([name, value]) => [name, value - (threadsBefore.get(name) ?? 0)] as const).filter(([, value]) => value > 0).sort((a, b) => b[1] - a[1]).map(([name, value]) => `${name} ${value.toFixed(1)}`).join(', ')}`);
  }
  const written = await resultRows(out, format);
  if (written !== rows) throw new Error(`Job ${id}'s results hold ${written} rows, not ${rows}`);
  return run;
}

/** The raw loop in its own process (bench/support/raw-batch-loop.ts). */
async function runBaseline(model: Model, path: string, format: Format, rows: number, out: string): Promise<Run> {
  const args = ['--import', 'tsx', 'bench/support/raw-batch-loop.ts', format, path, model.file, out, String(BATCH_ROWS), String(ROW_GROUP), ...(model.labels ? [model.labels] : [])];
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`The raw loop exited with ${code}: ${output}`);
  const result = JSON.parse(output.trim().split('\n').pop()!) as { rows: number; seconds: number; peakRssMb: number; cpuSeconds: number };
  const written = await resultRows(out, format);
  if (result.rows !== rows || written !== rows) throw new Error(`The raw loop read ${result.rows} rows and wrote ${written}, not ${rows}`);
  return { seconds: result.seconds, peakRssMb: result.peakRssMb, cpuSeconds: result.cpuSeconds, load: await loadAverage() };
}

const selected = (format: Format, model: Model): boolean => !ONLY || ONLY.split(',').some((part) => {
  const [wantFormat, wantModel] = part.split(':');
  return (!wantFormat || wantFormat === format) && (!wantModel || model.name.includes(wantModel));
});

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'mlhub-bench-batch-'));
  const loadAtStart = await loadAverage();
  const benchStarted = Date.now();
  const mlpFile = join(scratch, 'mlp.onnx');
  await writeFile(mlpFile, mlpClassifierOnnx());
  const models: Model[] = [
    { name: DEMO_MODEL, label: `${DEMO_MODEL} (the demo classifier: one 784 × 10 layer, labels)`, file: join(DEMO_DIR, 'model.onnx'), labels: join(DEMO_DIR, 'labels.txt') },
    { name: MLP_MODEL, label: `${MLP_MODEL} (bench:predict's MLP: 784 → 512 → 512 → 10, ReLU)`, file: mlpFile },
  ];
  const sizes = [Math.round(ROWS / 4), ROWS];
  const files = new Map<number, Record<Format, string>>();
  const generated: string[] = [];
  for (const rows of sizes) {
    const folder = join(scratch, String(rows));
    await mkdir(folder);
    const paths = { csv: join(folder, 'pixels.csv'), parquet: join(folder, 'pixels.parquet') };
    const started = Date.now();
    await writeBatchData({ rows, rowGroupRows: ROW_GROUP, csvPath: paths.csv, parquetPath: paths.parquet });
    files.set(rows, paths);
    const line = `${rows.toLocaleString('en')} rows: CSV ${((await stat(paths.csv)).size / 2 ** 20).toFixed(0)} MiB, Parquet ${((await stat(paths.parquet)).size / 2 ** 20).toFixed(0)} MiB, written in ${((Date.now() - started) / 1000).toFixed(0)} s`;
    generated.push(line);
    console.log(line);
  }
  if (CPU_PROF) await mkdir(CPU_PROF, { recursive: true });
  // The scratch data goes with a runtime that did not start, as with one that did.
  const mlhub = await startMlhub({
    demo: true,
    env: { MLHUB_ACCESS_LOG: 'off', MLHUB_JOB_BATCH_ROWS: String(BATCH_ROWS) },
    ...(CPU_PROF ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] } : {}),
  }).catch(async (error: unknown) => {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  });
  const cases: Case[] = [];
  const uploads: string[] = [];
  try {
    await uploadMlp(mlhub, mlpFile);
    for (const rows of sizes) {
      for (const format of ['csv', 'parquet'] as const) {
        if (!models.some((model) => selected(format, model))) continue;
        const path = files.get(rows)![format];
        const started = Date.now();
        const dataset = await uploadDataset(mlhub, path, `pixels-${rows}.${format}`);
        const line = `${rows.toLocaleString('en')}-row ${format}: uploaded and inspected in ${((Date.now() - started) / 1000).toFixed(1)} s`;
        uploads.push(line);
        console.log(line);
        for (const model of models) {
          if (!selected(format, model)) continue;
          const out = join(scratch, `out-${rows}-${model.name}.${format}`);
          const run = await runJob(mlhub, model, dataset, format, rows, out);
          await rm(out, { force: true });
          const baseline = await runBaseline(model, path, format, rows, out);
          await rm(out, { force: true });
          const result = { rows, format, model, mlhub: run, baseline };
          cases.push(result);
          console.log(tableRow(result));
        }
      }
    }
  } catch (error) {
    console.error(`MLHub's last output:\n${mlhub.output().slice(-4000)}`);
    throw error;
  } finally {
    await mlhub.stop();
    await removeDataDir(mlhub.dataDir);
    await rm(scratch, { recursive: true, force: true });
  }
  await report(cases, { generated, uploads, loadAtStart, minutes: (Date.now() - benchStarted) / 60000 });
}

const f = (value: number, digits = 0): string => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const rate = (rows: number, run: Run): number => rows / run.seconds;

function tableRow({ rows, format, model, mlhub, baseline }: Case): string {
  const ratio = rate(rows, mlhub) / rate(rows, baseline);
  const cpuRatio = (rows / mlhub.cpuSeconds) / (rows / baseline.cpuSeconds);
  const memory = mlhub.peakRssMb < GOALS.peakRssMb;
  return `| ${f(rows)} | ${format} | ${model.name} | ${f(rate(rows, mlhub))} | ${f(rate(rows, baseline))} | ${ratio.toFixed(2)}× ${ratio >= GOALS.ratio ? '✅' : '❌'} | ${f(rows / mlhub.cpuSeconds)} | ${f(rows / baseline.cpuSeconds)} | ${cpuRatio.toFixed(2)}× | ${f(mlhub.peakRssMb)} ${memory ? '✅' : '❌'} | ${f(baseline.peakRssMb)} | ${mlhub.seconds.toFixed(1)} / ${baseline.seconds.toFixed(1)} | ${mlhub.load.toFixed(1)} / ${baseline.load.toFixed(1)} |`;
}

async function report(cases: readonly Case[], run: { generated: string[]; uploads: string[]; loadAtStart: number; minutes: number }): Promise<void> {
  const big = cases.filter((item) => item.rows === ROWS);
  const ratioMet = cases.every((item) => rate(item.rows, item.mlhub) / rate(item.rows, item.baseline) >= GOALS.ratio);
  const rssMet = cases.every((item) => item.mlhub.peakRssMb < GOALS.peakRssMb);
  const growth = big.map((item) => {
    const small = cases.find((other) => other.rows !== ROWS && other.format === item.format && other.model === item.model);
    return small ? `${item.format}/${item.model.name}: ${f(small.mlhub.peakRssMb)} → ${f(item.mlhub.peakRssMb)} MB` : undefined;
  }).filter(Boolean);
  const lines = [
    '# Batch jobs: MLHub against a raw ONNX Runtime loop',
    '',
    `Measured ${new Date().toISOString()} by \`npm run bench:batch\`${ROWS === 1_000_000 ? '' : ` with BENCH_BATCH_ROWS=${ROWS}`} on Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}; the whole run took ${run.minutes.toFixed(0)} min. Load average (1 min) at the start: ${run.loadAtStart.toFixed(1)}; each run's is in the table: the machine was shared, so wall-clock rates move with the load and the CPU-time rates (user + system seconds of the process, its ONNX Runtime threads included) are the steadier comparison.`,
    '',
    '## Settings',
    '',
    `- Data: ${PIXEL_COLUMNS.length} pixel columns (p0…p783): four in five values 0, the rest thousandths in (0, 1], the same rows as CSV (header, LF, shortest numbers) and as Parquet (FLOAT columns, snappy, dictionary pages, ${f(ROW_GROUP)}-row groups, hyparquet-writer). ${run.generated.join('; ')}.`,
    `- MLHub: \`npm start\` in its own process, dev mode, defaults: MLHUB_JOB_BATCH_ROWS ${BATCH_ROWS}, chunks of ≤ 50,000 rows / 64 MiB, 2 chunks at once; local S3 (s3rver) and DynamoDB (dynalite) in the same process, and counted in its RSS. Each dataset uploaded through \`POST /datasets\` and its presigned parts, then inspected (not timed in the rates): ${run.uploads.join('; ')}.`,
    `- MLHub job, timed: \`POST /model/{name}/jobs\` (columns p0…p783; results CSV for the CSV dataset, Parquet for the Parquet one), \`GET /jobs/{id}\` every ${POLL_MS} ms until it succeeded, \`GET /jobs/{id}/results\`, the assembled file downloaded to disk. Peak RSS: VmHWM of the runtime process, reset (clear_refs 5) before each job, so it is that job's peak.`,
    `- API GETs sent again after the runtime reset a kept-alive connection (its event loop blocked past the keep-alive timeout): ${resets}.`,
    `- Baseline (bench/support/raw-batch-loop.ts, its own process, run right after each job): reads the same file (CSV streamed, split on LF and commas, Number(); Parquet with hyparquet, one row group at a time, columns transposed into rows), InferenceSession.run on ${BATCH_ROWS} rows at a time with MLHub's session options, writes the same columns (row, output_0…9, label and probability for the labelled demo model) in the same format. No validation, no error rows, no storage round trips.`,
    '',
    `## Results (goals: MLHub ≥ ${GOALS.ratio}× the raw loop's rows/s; MLHub's peak RSS under 1 GB at 1M rows and flat in the dataset's size)`,
    '',
    '| Rows | Format | Model | MLHub rows/s | Raw loop rows/s | Ratio | MLHub rows/CPU-s | Raw rows/CPU-s | CPU ratio | MLHub peak RSS MB | Raw peak RSS MB | Seconds (MLHub / raw) | Load avg (MLHub / raw) |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...cases.map(tableRow),
    '',
    'Models: ' + [...new Set(cases.map((item) => item.model.label))].join('; ') + '.',
    '',
    '## Goals',
    '',
    `- Throughput ≥ ${GOALS.ratio}× the raw loop: ${ratioMet ? '✅ met in every case' : '❌ not met in every case (see the Ratio column)'}.`,
    `- Peak RSS under 1 GB: ${rssMet ? '✅ met in every case' : '❌ not met in every case'}; against the dataset's size (${f(ROWS / 4)} → ${f(ROWS)} rows): ${growth.join('; ') || 'n/a'}.`,
    '',
  ];
  await mkdir(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(REPORT, `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
}

await main();
