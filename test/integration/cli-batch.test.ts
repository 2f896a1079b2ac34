import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, json } from '../support/http';
import { jsonLines, pixelHeader, pixelRows } from '../support/jobs/job-harness';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { DEMO_BUNDLE } from '../support/publishing-client';
import { runCli, spawnCli } from '../support/run-cli';

/**
 * `mlhub predict <model> --dataset <file> --out <file>` as a user runs it (bin/mlhub.js, in its
 * own process, stderr a pipe), against one local runtime over HTTP. Checkpoints every 100 rows,
 * chunks of 200 rows and one chunk at a time make a few thousand rows a job of many chunks, whose
 * progress moves while the CLI follows it.
 */
let mlhub: RunningMlhub;
let scratch: string;
let env: Record<string, string>;
const auth = new Map<string, string>();
const ROWS = 2000;
const rows = pixelRows(ROWS, 11);
let digits: string;
let datasetId: string;

interface Prediction { output: number[]; label: string; probability: number }
interface BatchResult { dataset: { id: string; row_count: number }; job: string; out: string; format: string; rows_done: number; rows_failed: number; errors_file: string | null }

const csvOf = (data: number[][]): string =>
  `id,${pixelHeader.join(',')}\n${data.map((row, index) => `r${index},${row.join(',')}`).join('\n')}\n`;
const exists = (path: string) => access(path).then(() => true, () => false);

/** What POST /model/{name}/predict answers for each row, asked 100 rows a request (its body limit is 4.45 MiB). */
async function predictEach(model: string, data: number[][]): Promise<Prediction[]> {
  const answers: Prediction[] = [];
  for (let start = 0; start < data.length; start += 100) {
    const reply = await call(mlhub.url, 'POST', `/model/${model}/predict`, { ...json({ input: data.slice(start, start + 100) }), headers: { 'content-type': 'application/json', authorization: auth.get('ada')! } });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    answers.push(...(reply.body as { predictions: Prediction[] }).predictions);
  }
  return answers;
}

let expected: Prediction[];

function expectPrediction(actual: { output: number[]; label: unknown; probability: unknown }, wanted: Prediction): void {
  expect(actual.output).toHaveLength(wanted.output.length);
  actual.output.forEach((value, index) => expect(value).toBeCloseTo(wanted.output[index]!, 6));
  expect(actual.label).toBe(wanted.label);
  expect(Number(actual.probability)).toBeCloseTo(wanted.probability, 6);
}

/** A CSV results file (README "Batch prediction results") as records: row, id, output_0…9, label, probability. */
const csvRecords = (text: string) => (parse(text, { columns: true }) as Record<string, string>[]).map((record) => ({
  row: Number(record.row), id: record.id, label: record.label, probability: Number(record.probability),
  output: Array.from({ length: 10 }, (_, index) => Number(record[`output_${index}`])),
}));

beforeAll(async () => {
  mlhub = await startMlhub({ demo: true, env: { MLHUB_AUTH: 'required', MLHUB_DATASET_CHECKPOINT_ROWS: '100', MLHUB_JOB_CHUNK_ROWS: '200', MLHUB_JOB_CONCURRENCY: '1' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const caller of ['ada', 'olive']) auth.set(caller, `Bearer ${await issuer.sign(caller)}`);
  scratch = await mkdtemp(join(tmpdir(), 'mlhub-cli-batch-'));
  env = { MLHUB_CONFIG: join(scratch, 'config.json'), MLHUB_URL: '', MLHUB_TOKEN: '' };
  digits = join(scratch, 'digits.csv');
  await writeFile(digits, csvOf(rows));
  const login = await runCli(['login', '--local', '--user', 'ada', '--data-dir', mlhub.dataDir, '--url', mlhub.url, '--json'], env);
  expect(login.code, login.stderr).toBe(0);
  expected = await predictEach('demo-mnist', rows);
}, 120_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('mlhub predict --dataset, a batch job from the command line', () => {
  it('uploads a CSV, runs the job with progress lines, and writes preds.csv equal to /predict row by row, in input order', async () => {
    const out = join(scratch, 'preds.csv');
    await writeFile(`${out}.errors.jsonl`, '{"row": 1, "error": "from an earlier run"}\n');
    const run = await runCli(['predict', 'demo-mnist', '--dataset', digits, '--out', out, '--keep', 'id'], env);
    expect(run.code, run.stderr).toBe(0);

    const records = csvRecords(await readFile(out, 'utf8'));
    expect(records.map((record) => record.row)).toEqual(rows.map((_, index) => index));
    expect(records.map((record) => record.id)).toEqual(rows.map((_, index) => `r${index}`));
    records.forEach((record, index) => expectPrediction(record, expected[index]!));
    // No row failed: no errors file, not even the one an earlier run left beside it.
    expect(await exists(`${out}.errors.jsonl`)).toBe(false);
    expect(await exists(`${out}.part`)).toBe(false);

    expect(run.stdout).toMatch(new RegExp(`^Wrote 2,000 predictions to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(csv\\) in \\d+\\.\\d s, [\\d,]+ rows/s\\n$`));
    const lines = run.stderr.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^Dataset ds_[0-9a-f]{24} \(digits\.csv, csv\) is ready: 2,000 rows; 785 columns: id \(string\), p0 \(number\), p1 \(number\), …, p782 \(number\), p783 \(number\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Started job job_[0-9a-f]{24}: demo-mnist v1 over ds_[0-9a-f]{24}; Ctrl-C cancels it$/));
    // Not a terminal: plain lines (no carriage returns, no escape codes), one with the rate and the time left while it ran.
    expect([run.stderr.includes('\r'), run.stderr.includes('\u001b')]).toEqual([false, false]);
    const running = lines.filter((line) => line.startsWith('running'));
    expect(running).toContainEqual(expect.stringMatching(/^running {3}\[[#-]{24}\] +\d+% [\d,]+\/2,000 rows \| [\d,]+ rows\/s \| ETA \d+:\d\d$/));
    expect(lines).toContainEqual(expect.stringMatching(/^succeeded \[#{24}\] 100% 2,000\/2,000 rows \| [\d,]+ rows\/s \| ETA -$/));
  });

  it('writes JSON Lines and Parquet from the extension of --out, on a dataset uploaded before (--dataset-id); --json prints the result', async () => {
    // --columns names the inputs (the text column id is then left out), as the job's `columns` does.
    const first = await runCli(['predict', 'demo-mnist', '--dataset', digits, '--out', join(scratch, 'first.jsonl'), '--columns', pixelHeader.join(','), '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    // --json: stdout is the result alone, and stderr carries no progress.
    expect(first.stderr).toBe('');
    const result = JSON.parse(first.stdout) as BatchResult;
    expect(result).toMatchObject({ format: 'jsonl', rows_done: ROWS, rows_failed: 0, errors_file: null, dataset: { row_count: ROWS } });
    datasetId = result.dataset.id;
    const lines = jsonLines(await readFile(join(scratch, 'first.jsonl'))) as { row: number; output: number[]; label: string; probability: number }[];
    expect(lines.map((line) => line.row)).toEqual(rows.map((_, index) => index));
    lines.forEach((line, index) => expectPrediction(line, expected[index]!));

    const out = join(scratch, 'preds.parquet');
    const run = await runCli(['predict', 'demo-mnist', '--dataset-id', datasetId, '--out', out, '--keep', 'id', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ format: 'parquet', rows_done: ROWS, dataset: { id: datasetId } });
    const bytes = await readFile(out);
    const records = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer });
    expect(records.map((record) => Number(record.row))).toEqual(rows.map((_, index) => index));
    expect(records.map((record) => record.id)).toEqual(rows.map((_, index) => `r${index}`));
    records.forEach((record, index) => expectPrediction({ ...record, output: Array.from({ length: 10 }, (_, k) => record[`output_${k}`] as number) } as Prediction, expected[index]!));
  });

  describe('bad rows', () => {
    const few = rows.slice(0, 300);
    let bad: string;
    let badId: string;
    beforeAll(async () => {
      const text = csvOf(few).trimEnd().split('\n');
      text[1 + 5] = text[1 + 5]!.replace(/,0\.\d+/, ',abc'); // a value that is not a number
      text[1 + 17] = text[1 + 17]!.split(',').slice(0, 100).join(','); // too few columns
      bad = join(scratch, 'bad.csv');
      await writeFile(bad, `${text.join('\n')}\n`);
    });

    it('--on-error skip: predicts the rest, writes <out>.errors.jsonl, and says how many rows failed', async () => {
      const out = join(scratch, 'skipped.csv');
      const run = await runCli(['predict', 'demo-mnist', '--dataset', bad, '--out', out, '--keep', 'id', '--on-error', 'skip', '--tolerate', '10'], env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^Wrote 298 predictions to .*skipped\.csv \(csv\) in [\d.]+ s, [\d,]+ rows\/s; 2 row\(s\) failed: see .*skipped\.csv\.errors\.jsonl\n$/);
      const records = csvRecords(await readFile(out, 'utf8'));
      const kept = few.map((_, index) => index).filter((index) => index !== 5 && index !== 17);
      expect(records.map((record) => record.row)).toEqual(kept);
      records.forEach((record) => expectPrediction(record, expected[record.row]!));
      const errors = jsonLines(await readFile(`${out}.errors.jsonl`)) as { row: number; error: string }[];
      expect(errors.map((error) => error.row)).toEqual([5, 17]);
      expect(errors[0]!.error).toMatch(/p\d+|abc|number/);
      const listed = await call(mlhub.url, 'GET', '/datasets', { headers: { authorization: auth.get('ada')! } });
      badId = (listed.body as { id: string; filename: string }[]).find((dataset) => dataset.filename === 'bad.csv')!.id;
    });

    it('--on-error fail (the default): exits non-zero with the job\'s reason, leaves no --out file, and saves the failed rows', async () => {
      const out = join(scratch, 'failed.csv');
      const run = await runCli(['predict', 'demo-mnist', '--dataset-id', badId, '--out', out, '--keep', 'id'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^Dataset ds_[0-9a-f]{24} \(bad\.csv, csv\) is ready: 300 rows; /);
      expect(run.stderr).toMatch(/^mlhub: Job job_[0-9a-f]{24} failed: .*on_error\.mode is fail.*; the failed rows are in .*failed\.csv\.errors\.jsonl; nothing was written to .*failed\.csv$/m);
      expect(await exists(out)).toBe(false);
      expect(await exists(`${out}.part`)).toBe(false);
      expect((jsonLines(await readFile(`${out}.errors.jsonl`)) as { row: number }[]).map((error) => error.row)).toContain(5);
    });

    it('a tolerance the API refuses is shown as the CLI shows API errors, naming the field', async () => {
      const run = await runCli(['predict', 'demo-mnist', '--dataset-id', badId, '--out', join(scratch, 'x.csv'), '--keep', 'id', '--on-error', 'skip', '--tolerate', '101'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/\nmlhub: Invalid request body: on_error\.tolerated_percent must be at most 100 \(400 invalid_body\)\n$/);
    });
  });

  it("a stranger's private model, or dataset, answers the 404 message", async () => {
    const olive = { authorization: auth.get('olive')! };
    expect((await call(mlhub.url, 'POST', '/model/olives-digits', { ...json({ type: 'onnx' }), headers: { ...olive, 'content-type': 'application/json' } })).status).toBe(201);
    expect((await call(mlhub.url, 'POST', '/model/olives-digits/upload', { body: await readFile(DEMO_BUNDLE), headers: { ...olive, 'content-type': 'application/octet-stream' } })).status).toBe(201);
    const model = await runCli(['predict', 'olives-digits', '--dataset-id', datasetId, '--out', join(scratch, 'x.csv')], env);
    expect([model.code, model.stderr]).toEqual([1, "mlhub: Model 'olives-digits' does not exist (404 model_not_found)\n"]);

    const created = await call(mlhub.url, 'POST', '/datasets', { ...json({ filename: 'olive.csv', size: 10 }), headers: { ...olive, 'content-type': 'application/json' } });
    const stranger = (created.body as { id: string }).id;
    const dataset = await runCli(['predict', 'demo-mnist', '--dataset-id', stranger, '--out', join(scratch, 'x.csv')], env);
    expect(dataset.code).toBe(1);
    expect(dataset.stderr).toMatch(/^mlhub: .*\(404 dataset_not_found\)\n$/);
  });

  it('refuses flags that do not go together before sending anything, in one line', async () => {
    const cases: [string[], string][] = [
      [['--dataset', digits], 'Give --out <file> for the predictions (its extension, .csv, .jsonl or .parquet, sets the format)'],
      [['--dataset', digits, '--dataset-id', 'ds_x', '--out', 'p.csv'], 'Give exactly one of --dataset or --dataset-id with --out, and none of --input, --input-file or --image'],
      [['--dataset', digits, '--input', '[1]', '--out', 'p.csv'], 'Give exactly one of --dataset or --dataset-id with --out, and none of --input, --input-file or --image'],
      [['--dataset', digits, '--out', 'p.txt'], 'Cannot tell the results format from --out p.txt: name it .csv, .jsonl or .parquet, or give --format'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['predict', 'demo-mnist', ...args], env);
      expect([run.code, run.stderr], args.join(' ')).toEqual([1, `mlhub: ${message}\n`]);
    }
  });

  it('Ctrl-C while the job runs cancels it (DELETE /jobs/{id}), says so, and writes nothing', async () => {
    const out = join(scratch, 'interrupted.csv');
    const child = spawnCli(['predict', 'demo-mnist', '--dataset-id', datasetId, '--out', out, '--keep', 'id'], env);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let ended = false;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
      ended = true;
      resolve(code);
    }));
    const deadline = Date.now() + 30_000;
    // Interrupted once it runs: its progress line says so.
    while (!/^running/m.test(stderr) && !ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const id = /Started job (job_[0-9a-f]{24})/.exec(stderr)?.[1];
    expect(id, stderr).toBeDefined();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(new RegExp(`^Cancelled job ${id} \\(\\d+ of 2000 rows were done\\); nothing was written to .*interrupted\\.csv$`, 'm'));
    const job = await call(mlhub.url, 'GET', `/jobs/${id}`, { headers: { authorization: auth.get('ada')! } });
    expect((job.body as { state: string }).state).toBe('cancelled');
    expect(await exists(out)).toBe(false);
  }, 60_000);
});
