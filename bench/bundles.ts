/**
 * `npm run bench:bundles`: for every deployed function, the minified bundle size and the cold
 * import time (median over fresh `node` processes), beside an empty ES module measured in the
 * same run; and what the functions that predict add on their first ONNX prediction: loading
 * onnxruntime-node from the ONNX Runtime layer. Writes bench/results/bundles.md.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATALOGUE_FUNCTIONS } from '../functions/catalogue/function-catalogue';
import { describeTrigger } from '../functions/catalogue/trigger-descriptions';
import { FALLBACK_HANDLER, ROUTES } from '../functions/routes/route-table';
import { HANDLER_NODE_OPTIONS, ONNX_RUNTIME_PACKAGE, PROJECT_ROOT, TRACER_PACKAGE, writeTracerPackage } from '../lib/functions/handler-bundling';
import { buildOnnxRuntimeLayer, LAYER_NODE_MODULES, onnxRuntimeLayerFiles, onnxRuntimePackage, type LayerFile } from '../lib/functions/onnx-runtime-layer-contents';
import { importInFreshNode } from './support/fresh-import';
import { DEPLOYED_HANDLERS, bundleHandlers, type HandlerBundle } from './support/handler-bundles';

/** Fresh processes per function and variant: BENCH_RUNS, at least 10. */
const RUNS = Math.max(10, Number.parseInt(process.env.BENCH_RUNS ?? '', 10) || 15);
/** The goals for a registry handler. */
const BUDGET = { bytes: 300 * 1024, initAboveBaselineMs: 60 };
const REPORT = join(PROJECT_ROOT, 'bench', 'results', 'bundles.md');

interface Target {
  readonly name: string;
  readonly file: string;
  /** NODE_PATH, for what needs the ONNX Runtime layer (as Lambda's /opt/nodejs/node_modules). */
  readonly nodePath?: string;
  /** More environment, for what behaves differently in Lambda (the tracer). */
  readonly env?: Readonly<Record<string, string>>;
}

interface Samples {
  /** With the handlers' runtime NODE_OPTIONS, as on Lambda. */
  readonly importMs: number[];
  readonly processMs: number[];
  /** Without them: what the source maps cost. */
  readonly importWithoutMapsMs: number[];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

function servedBy(handler: string): string {
  if (handler === FALLBACK_HANDLER) return 'fallback (404/405)';
  return [
    ...ROUTES.filter((route) => route.handler === handler).map((route) => `${route.method} ${route.path}`),
    ...CATALOGUE_FUNCTIONS.filter((fn) => fn.handler === handler).map((fn) => describeTrigger(fn.trigger)),
  ].join(', ');
}

/** Every target once per round, starting one further along each round, so no target always runs first. */
async function measure(targets: readonly Target[]): Promise<Map<string, Samples>> {
  const samples = new Map(targets.map((target) => [target.name, { importMs: [], processMs: [], importWithoutMapsMs: [] } as Samples]));
  // Warm-up: the node binary and the bundles into the page cache; not counted.
  for (const target of targets) await importInFreshNode(target.file, { nodeOptions: HANDLER_NODE_OPTIONS, nodePath: target.nodePath, env: target.env });
  for (let round = 0; round < RUNS; round += 1) {
    for (let i = 0; i < targets.length; i += 1) {
      const target = targets[(round + i) % targets.length] as Target;
      const result = await importInFreshNode(target.file, { nodeOptions: HANDLER_NODE_OPTIONS, nodePath: target.nodePath, env: target.env });
      const withoutMaps = await importInFreshNode(target.file, { nodePath: target.nodePath, env: target.env });
      const sample = samples.get(target.name) as Samples;
      sample.importMs.push(result.importMs);
      sample.processMs.push(result.processMs);
      sample.importWithoutMapsMs.push(withoutMaps.importMs);
    }
  }
  return samples;
}

function verdict(bundle: HandlerBundle, aboveBaselineMs: number): string {
  const over = [
    ...(bundle.bytes > BUDGET.bytes ? [`size +${kb(bundle.bytes - BUDGET.bytes)}`] : []),
    ...(aboveBaselineMs > BUDGET.initAboveBaselineMs ? [`init +${ms(aboveBaselineMs - BUDGET.initAboveBaselineMs)}`] : []),
  ];
  return over.length === 0 ? 'within' : `over: ${over.join(', ')}`;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const layerBytes = (files: readonly LayerFile[]): number => files.reduce((total, file) => total + statSync(file.source).size, 0);

/** Whether a bundle requires onnxruntime-node, which it leaves to the layer. */
const requiresOnnxRuntime = (bundle: HandlerBundle): boolean => readFileSync(bundle.file, 'utf8').includes(`("${ONNX_RUNTIME_PACKAGE}")`);

const largest = (bundle: HandlerBundle): string =>
  bundle.contributors.slice(0, 3).map((contributor) => `${contributor.source} ${kb(contributor.bytes)}`).join('; ');

async function main(): Promise<void> {
  const workdir = await mkdtemp(join(tmpdir(), 'mlhub-bench-bundles-'));
  try {
    const bundles = await bundleHandlers(DEPLOYED_HANDLERS, workdir);
    const baselineFile = join(workdir, 'empty.mjs');
    await writeFile(baselineFile, '');
    const baseline: Target = { name: '(empty ES module)', file: baselineFile };
    // The layer for this machine's architecture, exactly as the stack builds the arm64 one.
    const layerDir = join(workdir, 'onnx-runtime-layer');
    buildOnnxRuntimeLayer(layerDir, process.arch === 'arm64' ? 'arm64' : 'x64');
    const nodePath = join(layerDir, LAYER_NODE_MODULES);
    // What the first ONNX prediction of a cold function adds: the engine's require of onnxruntime-node, native binding included.
    const ortLoadFile = join(workdir, 'require-onnxruntime.mjs');
    await writeFile(ortLoadFile, `import { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('${ONNX_RUNTIME_PACKAGE}');\n`);
    const ortLoad: Target = { name: '(onnxruntime-node from the layer)', file: ortLoadFile, nodePath };
    // What the first sampled invocation of a cold function adds: the tracer package beside the bundle, loaded and enabled as in Lambda.
    const tracerDir = join(workdir, 'tracer');
    const tracerPackage = writeTracerPackage(tracerDir);
    const tracerLoadFile = join(tracerDir, 'load-tracer.mjs');
    await writeFile(tracerLoadFile, `const { Tracer } = await import('${TRACER_PACKAGE}');\nnew Tracer({ serviceName: 'mlhub' });\n`);
    const tracerLoad: Target = { name: '(X-Ray tracer package)', file: tracerLoadFile, env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' } };
    const targets: Target[] = [
      baseline,
      ortLoad,
      tracerLoad,
      ...bundles.map((bundle) => ({ name: bundle.handler, file: bundle.file, ...(requiresOnnxRuntime(bundle) ? { nodePath } : {}) })),
    ];

    const samples = await measure(targets);
    const baseImport = median((samples.get(baseline.name) as Samples).importMs);
    const baseProcess = median((samples.get(baseline.name) as Samples).processMs);
    const baseWithoutMaps = median((samples.get(baseline.name) as Samples).importWithoutMapsMs);

    const rows = bundles.map((bundle) => {
      const sample = samples.get(bundle.handler) as Samples;
      const importMs = median(sample.importMs);
      const processMs = median(sample.processMs);
      const withoutMaps = median(sample.importWithoutMapsMs);
      return { bundle, importMs, above: importMs - baseImport, processMs, ratio: processMs / baseProcess, withoutMaps };
    });

    const ortImport = median((samples.get(ortLoad.name) as Samples).importMs);
    const tracerImport = median((samples.get(tracerLoad.name) as Samples).importMs);
    const tracerNote = [
      `Every function's bundle leaves Powertools' Tracer and the X-Ray SDK out (lib/functions/handler-bundling.ts) and ships them beside it as the package`,
      `${TRACER_PACKAGE} (${kb(statSync(join(tracerPackage, 'index.mjs')).size)} minified), loaded by the first invocation X-Ray samples (functions/observability/tracing.ts),`,
      `never by an unsampled one nor locally. Loading it and making the Tracer, enabled as in Lambda, adds **${ms(tracerImport - baseImport)}** to that invocation here`,
      `(${ms(tracerImport)} against ${ms(baseImport)} for the baseline; medians of ${RUNS} fresh processes).`,
    ].join('\n');
    const deployedLayer = layerBytes(onnxRuntimeLayerFiles('arm64'));
    const predictors = bundles.filter(requiresOnnxRuntime).map((bundle) => bundle.handler);
    const layerNote = [
      `The functions that predict (${predictors.join(', ')}) leave onnxruntime-node out of their bundles and require it from the ONNX Runtime layer`,
      `(lib/functions/onnx-runtime-layer.ts): ${mb(deployedLayer)} unzipped for linux/arm64 as deployed, against Lambda's 250 MB limit for a function and its layers.`,
      `Their imports above do not load it; the engine requires it on a cold function's first ONNX prediction, which adds **${ms(ortImport - baseImport)}** here:`,
      `a module requiring onnxruntime-node ${onnxRuntimePackage().version} (native binding included) imports in ${ms(ortImport)}, against ${ms(baseImport)} for the baseline`,
      `(medians of ${RUNS} fresh processes, with the layer built for this machine's architecture on NODE_PATH, as in Lambda).`,
      'Its files were in the page cache; a cold Lambda sandbox also reads them from the layer.',
    ].join('\n');

    const table = [
      '| Function (handler) | Serves | Minified bundle | Import (median) | Above baseline | Whole process (median) | × baseline process | Import without source maps | Goal (≤ 300 KB, ≤ 60 ms above) | Largest contributors |',
      '|---|---|---:|---:|---:|---:|---:|---:|---|---|',
      `| ${baseline.name} | baseline | 0 B | ${ms(baseImport)} | — | ${ms(baseProcess)} | 1.00 | ${ms(baseWithoutMaps)} | — | — |`,
      ...rows.map(({ bundle, importMs, above, processMs, ratio, withoutMaps }) =>
        `| ${bundle.handler} | ${servedBy(bundle.handler)} | ${kb(bundle.bytes)} | ${ms(importMs)} | ${ms(above)} | ${ms(processMs)} | ${ratio.toFixed(2)} | ${ms(withoutMaps)} | ${verdict(bundle, above)} | ${largest(bundle)} |`),
    ].join('\n');

    const cpu = cpus();
    const report = [
      '# Handler bundles: size and cold import time',
      '',
      `Measured ${new Date().toISOString()} by \`npm run bench:bundles\` on Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}.`,
      '',
      `Each function is bundled exactly as the stack bundles it (lib/functions/handler-bundling.ts: minified ESM, AWS SDK included, credentials from the environment only, the X-Ray tracer beside it).`,
      `Each figure is the median of ${RUNS} fresh \`node\` processes importing the bundle with NODE_OPTIONS=${HANDLER_NODE_OPTIONS}`,
      'as on Lambda; "Import" is timed inside the process around `import()`, "Whole process" from spawn to exit.',
      '"Import without source maps" is the same import without NODE_OPTIONS, to show what the source maps cost.',
      'The baseline is an empty ES module measured the same way, interleaved in the same run.',
      '',
      table,
      '',
      layerNote,
      '',
      tracerNote,
      '',
    ].join('\n');

    await mkdir(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(REPORT, report);
    console.log(table);
    console.log(`\n${layerNote}`);
    console.log(`\n${tracerNote}`);
    console.log(`\nBaseline (empty ES module): import ${ms(baseImport)}, whole process ${ms(baseProcess)}; ${RUNS} runs each.`);
    console.log(`Written to ${REPORT}`);
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

await main();
