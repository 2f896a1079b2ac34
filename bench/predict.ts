/**
 * `npm run bench:predict`: writes bench/results/predict.md.
 * (a) MLHub's local predict over HTTP against a minimal plain-node server that wraps the same
 *     ONNX Runtime session, same model and input, at 1 and 8 connections.
 * (b) MLHub's TF Serving adapter against calling the same fast fake TF Serving directly.
 * Everything runs on loopback, bounded in time.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_MODEL } from '../local/demo-model';
import { removeDataDir, startMlhub } from '../test/support/local-runtime';
import { PROJECT_ROOT } from '../lib/functions/handler-bundling';
import { drive, type LoadFigures } from './support/load';
import { measureAdapter, type AdapterFigures } from './support/adapter-overhead';
import { mlpClassifierOnnx } from './support/mlp-model';
import { makeTarGz } from '../test/support/tarballs';

const SECONDS = Math.max(2, Number(process.env.BENCH_SECONDS) || 5);
const ROUNDS = 2;
const REPORT = join(PROJECT_ROOT, 'bench', 'results', 'predict.md');
const GOALS = { p50Ratio: 1.3, throughputRatio: 0.75, adapterAddedMs: 1 };

async function startMinimalServer(modelPath: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/minimal-onnx-server.ts', modelPath], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening (\S+)/.exec(chunk.toString());
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`the minimal server exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

const best = (runs: readonly LoadFigures[]): LoadFigures => [...runs].sort((a, b) => a.p50 - b.p50)[0] as LoadFigures;
const f = (value: number, digits = 2) => value.toFixed(digits);

interface Comparison {
  readonly model: string;
  readonly rows: { connections: number; mlhub: LoadFigures; minimal: LoadFigures }[];
}

/** Interleaved rounds of MLHub and the minimal server on the same model and body. */
async function compare(model: string, mlhubUrl: string, minimalUrl: string, body: Buffer): Promise<Comparison> {
  for (const url of [mlhubUrl, minimalUrl]) await drive({ url, method: 'POST', body, connections: 2, seconds: 1 });
  const rows: Comparison['rows'] = [];
  for (const connections of [1, 8]) {
    const runs = { mlhub: [] as LoadFigures[], minimal: [] as LoadFigures[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      runs.mlhub.push(await drive({ url: mlhubUrl, method: 'POST', body, connections, seconds: SECONDS }));
      runs.minimal.push(await drive({ url: minimalUrl, method: 'POST', body, connections, seconds: SECONDS }));
    }
    rows.push({ connections, mlhub: best(runs.mlhub), minimal: best(runs.minimal) });
  }
  return { model, rows };
}

async function main(): Promise<void> {
  const body = await readFile(join(PROJECT_ROOT, 'models/demo/images/img3.json'));
  const scratch = await mkdtemp(join(tmpdir(), 'mlhub-bench-'));
  const mlpFile = join(scratch, 'model.onnx');
  await writeFile(mlpFile, mlpClassifierOnnx());
  const mlhub = await startMlhub({ env: { MLHUB_ACCESS_LOG: 'off' } });
  const comparisons: Comparison[] = [];
  try {
    const mlpBundle = await makeTarGz([{ name: 'mlp/', type: 'directory' }, { name: 'mlp/model.onnx', content: await readFile(mlpFile) }]);
    await fetch(`${mlhub.url}/model/bench-mlp`, { method: 'POST', body: JSON.stringify({ type: 'onnx' }), headers: { 'content-type': 'application/json' } });
    const uploaded = await fetch(`${mlhub.url}/model/bench-mlp/upload`, { method: 'POST', body: mlpBundle, headers: { 'content-type': 'application/octet-stream' } });
    if (uploaded.status !== 201) throw new Error(`uploading the MLP answered ${uploaded.status}`);
    for (const [model, path, file] of [
      [`the demo classifier (${DEMO_MODEL}: one 784 × 10 layer)`, DEMO_MODEL, join(PROJECT_ROOT, 'models/demo/mnist/model.onnx')],
      ['an MLP doing real work (784 → 512 → 512 → 10, ReLU)', 'bench-mlp', mlpFile],
    ] as const) {
      const minimal = await startMinimalServer(file);
      try {
        comparisons.push(await compare(model, `${mlhub.url}/model/${path}/predict`, `${minimal.url}/predict`, body));
      } finally {
        minimal.stop();
      }
    }
  } finally {
    await mlhub.stop();
    await removeDataDir(mlhub.dataDir);
    await rm(scratch, { recursive: true, force: true });
  }
  const adapter = await measureAdapter(SECONDS);
  await report(comparisons, adapter);
}

function comparisonTable(comparison: Comparison): string[] {
  return [
    `### Model: ${comparison.model}`,
    '',
    '| Connections | MLHub p50 | MLHub p99 | MLHub req/s | Minimal p50 | Minimal p99 | Minimal req/s | p50 ratio (goal ≤ 1.3) | Throughput ratio (goal ≥ 0.75) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...comparison.rows.map(({ connections, mlhub, minimal }) => {
      const p50Ratio = mlhub.p50 / minimal.p50;
      const throughputRatio = mlhub.requestsPerSecond / minimal.requestsPerSecond;
      return `| ${connections} | ${f(mlhub.p50)} ms | ${f(mlhub.p99)} ms | ${f(mlhub.requestsPerSecond, 0)} | ${f(minimal.p50)} ms | ${f(minimal.p99)} ms | ${f(minimal.requestsPerSecond, 0)} | ${f(p50Ratio)}× ${p50Ratio <= GOALS.p50Ratio ? '✅' : '❌'} | ${f(throughputRatio)}× ${throughputRatio >= GOALS.throughputRatio ? '✅' : '❌'} |`;
    }),
    '',
  ];
}

async function report(comparisons: Comparison[], adapter: AdapterFigures): Promise<void> {
  const added = adapter.adapter.p50 - adapter.direct.p50;
  const lines = [
    '# Predict: MLHub against a minimal server, and adapter overhead',
    '',
    `Measured ${new Date().toISOString()} by \`npm run bench:predict\` on Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}.`,
    '',
    '## (a) MLHub local predict over HTTP vs a minimal ONNX Runtime server',
    '',
    'Body: models/demo/images/img3.json (784 numbers) to each model. MLHub is `npm start` (local API Gateway emulation, middy',
    'handler, dev-mode identity, access and version lookup, ONNX session cached by bundle sha256); the baseline is',
    'bench/support/minimal-onnx-server.ts (node:http, JSON.parse, one InferenceSession.run, no checks). Closed loop over',
    `loopback on kept-alive connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds per side; the better round of each side`,
    'is shown. The load generator shares the machine\'s 2 cores with the server under test.',
    '',
    ...comparisons.flatMap(comparisonTable),
    '## (b) The TF Serving adapter vs calling the backend directly',
    '',
    'A fake TF Serving on loopback answers at once. Direct: one fetch of the TF Serving request body. Adapter: MLHub\'s',
    'InferenceEngine.predict for a model whose backend is that server (parse, select backend, translate, call, translate back).',
    `${adapter.requests} sequential requests each, interleaved.`,
    '',
    '| Path | p50 | p99 |',
    '|---|---:|---:|',
    `| Direct | ${f(adapter.direct.p50, 3)} ms | ${f(adapter.direct.p99, 3)} ms |`,
    `| Through the adapter | ${f(adapter.adapter.p50, 3)} ms | ${f(adapter.adapter.p99, 3)} ms |`,
    `| Added at p50 (goal ≤ 1 ms) | ${f(added, 3)} ms ${added <= GOALS.adapterAddedMs ? '✅' : '❌'} | |`,
    '',
  ];
  await mkdir(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(REPORT, `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
}

await main();
