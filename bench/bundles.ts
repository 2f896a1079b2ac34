/**
 * `npm run bench:bundles`: for every deployed function, the minified bundle size and the cold
 * import time (median over fresh `node` processes), beside an empty ES module measured in the
 * same run. Writes bench/results/bundles.md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FALLBACK_HANDLER, ROUTES } from '../functions/routes/route-table';
import { HANDLER_NODE_OPTIONS, PROJECT_ROOT } from '../lib/functions/handler-bundling';
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
  return ROUTES.filter((route) => route.handler === handler).map((route) => `${route.method} ${route.path}`).join(', ');
}

/** Every target once per round, starting one further along each round, so no target always runs first. */
async function measure(targets: readonly Target[]): Promise<Map<string, Samples>> {
  const samples = new Map(targets.map((target) => [target.name, { importMs: [], processMs: [], importWithoutMapsMs: [] } as Samples]));
  // Warm-up: the node binary and the bundles into the page cache; not counted.
  for (const target of targets) await importInFreshNode(target.file, { nodeOptions: HANDLER_NODE_OPTIONS });
  for (let round = 0; round < RUNS; round += 1) {
    for (let i = 0; i < targets.length; i += 1) {
      const target = targets[(round + i) % targets.length] as Target;
      const result = await importInFreshNode(target.file, { nodeOptions: HANDLER_NODE_OPTIONS });
      const withoutMaps = await importInFreshNode(target.file);
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

const largest = (bundle: HandlerBundle): string =>
  bundle.contributors.slice(0, 3).map((contributor) => `${contributor.source} ${kb(contributor.bytes)}`).join('; ');

async function main(): Promise<void> {
  const workdir = await mkdtemp(join(tmpdir(), 'mlhub-bench-bundles-'));
  try {
    const bundles = await bundleHandlers(DEPLOYED_HANDLERS, workdir);
    const baselineFile = join(workdir, 'empty.mjs');
    await writeFile(baselineFile, '');
    const baseline: Target = { name: '(empty ES module)', file: baselineFile };
    const targets: Target[] = [baseline, ...bundles.map((bundle) => ({ name: bundle.handler, file: bundle.file }))];

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
      `Each function is bundled exactly as the stack bundles it (lib/functions/handler-bundling.ts: minified ESM, AWS SDK included).`,
      `Each figure is the median of ${RUNS} fresh \`node\` processes importing the bundle with NODE_OPTIONS=${HANDLER_NODE_OPTIONS}`,
      'as on Lambda; "Import" is timed inside the process around `import()`, "Whole process" from spawn to exit.',
      '"Import without source maps" is the same import without NODE_OPTIONS, to show what the source maps cost.',
      'The baseline is an empty ES module measured the same way, interleaved in the same run.',
      '',
      table,
      '',
    ].join('\n');

    await mkdir(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(REPORT, report);
    console.log(table);
    console.log(`\nBaseline (empty ES module): import ${ms(baseImport)}, whole process ${ms(baseProcess)}; ${RUNS} runs each.`);
    console.log(`Written to ${REPORT}`);
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

await main();
