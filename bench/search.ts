/**
 * `npm run bench:search`: writes bench/results/search.md (issue 13, "Benchmark").
 *
 * 100k synthetic models from a seeded generator (bench/support/synthetic-models.ts). In one run:
 * - MLHub's engine (MiniSearchEngine) in process: build time, snapshot size raw and gzipped, load
 *   time, heap after load, and p50/p95/p99 per query type over a seeded query mix;
 * - the obvious baseline: the public models as META items in dynalite (in a child process), and
 *   per query a Query of the public listing index, every page, filtered in memory (substring for
 *   text, equality for filters), in the order the index gives them.
 * Run with `node --expose-gc` (the npm script does) so the heap figure is after a collection.
 * BENCH_SEARCH_MODELS changes the corpus size, BENCH_SEARCH_BASELINE_RUNS the baseline's runs per type.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PROJECT_ROOT } from '../lib/functions/handler-bundling';
import { ensureTable } from '../local/provision';
import { LOCAL_S3_CREDENTIALS } from '../local/s3-server';
import { modelItem } from '../functions/registry/dynamo-model-store';
import type { ModelRecord } from '../functions/registry/model-records';
import type { ModelType } from '../functions/registry/model-type';
import { PUBLIC_PARTITION } from '../functions/registry/table-keys';
import { indexPartitionItems } from '../functions/store/dynamo-items';
import { TABLE_DESIGN } from '../functions/store/table-design';
import { createMiniSearchEngine, loadMiniSearchEngine } from '../functions/search/minisearch/minisearch-engine';
import type { SearchDocument, SearchQuery, SearchViewer } from '../functions/search/search-engine';
import { randomSource, syntheticCorpus, zipf } from './support/synthetic-models';

const COUNT = Number(process.env.BENCH_SEARCH_MODELS) || 100_000;
const QUERIES_PER_TYPE = 200;
const BASELINE_RUNS = Number(process.env.BENCH_SEARCH_BASELINE_RUNS) || 3;
const REPORT = join(PROJECT_ROOT, 'bench', 'results', 'search.md');
const TABLE = 'mlhub-bench-search';
const GOALS = { p95Ms: 20, loadMs: 1500, heapMb: 512 };
const QUERY_TYPES = ['one word', 'two words', 'a typo', 'a prefix', 'filter only', 'filter plus text', 'one word, after a write', 'one word, after a write of new words'] as const;
/** The rows that write one model before each search (the baseline answers them as one word). */
const AFTER_A_WRITE: readonly QueryType[] = ['one word, after a write', 'one word, after a write of new words'];
type QueryType = (typeof QUERY_TYPES)[number];

interface BenchQuery {
  readonly query: SearchQuery;
  readonly viewer: SearchViewer;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const time = <T>(run: () => T): [T, number] => {
  const start = performance.now();
  const value = run();
  return [value, performance.now() - start];
};
/** Milliseconds of CPU this process spent (user + system): less sensitive than wall time to other work on a shared machine. */
const cpuTime = <T>(run: () => T): [T, number, number] => {
  const cpu = process.cpuUsage();
  const [value, wall] = time(run);
  const used = process.cpuUsage(cpu);
  return [value, wall, (used.user + used.system) / 1000];
};
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
const f = (value: number, digits = 1) => value.toFixed(digits);

/** The query mix: words drawn Zipf-wise from the corpus's vocabulary (people search common words more), half the searches anonymous. */
function queryMix(vocabulary: readonly string[], documents: readonly SearchDocument[], users: readonly string[]): Record<QueryType, BenchQuery[]> {
  const random = randomSource(2026);
  const rank = zipf(vocabulary.length, 1.07, random);
  const word = () => vocabulary[rank()] as string;
  const longWord = () => {
    for (;;) {
      const candidate = word();
      if (candidate.length >= 5) return candidate;
    }
  };
  const typo = (text: string) => {
    const at = 1 + Math.floor(random() * (text.length - 2));
    const letter = 'abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 26)] as string;
    return `${text.slice(0, at)}${letter === text[at] ? 'q' : letter}${text.slice(at + 1)}`;
  };
  const someDocument = () => documents[Math.floor(random() * documents.length)] as SearchDocument;
  const filter = (): SearchQuery['filters'] => {
    const model = someDocument();
    switch (Math.floor(random() * 6)) {
      case 0: return { framework: model.framework.toLowerCase() };
      case 1: return model.license ? { license: model.license } : { owner: model.owner };
      case 2: return model.task ? { task: model.task } : { owner: model.owner };
      case 3: return model.keywords[0] ? { keyword: model.keywords[0] } : { framework: model.framework };
      case 4: return model.authors[0] ? { author: model.authors[0].name } : { owner: model.owner };
      default: return { framework: model.framework, updatedSince: '2026-06-01T00:00:00.000Z' };
    }
  };
  const viewer = (): SearchViewer => (random() < 0.5 ? {} : { userId: users[Math.floor(random() * users.length)] as string });
  const make = (q: string | undefined, filters: SearchQuery['filters'] = {}): BenchQuery => ({
    query: { ...(q === undefined ? {} : { q }), filters, sort: q === undefined ? 'updated' : 'relevance', direction: 'desc', limit: 20 },
    viewer: viewer(),
  });
  const many = (build: () => BenchQuery) => Array.from({ length: QUERIES_PER_TYPE }, build);
  return {
    'one word': many(() => make(word())),
    'two words': many(() => make(`${word()} ${word()}`)),
    'a typo': many(() => make(typo(longWord()))),
    'a prefix': many(() => {
      const whole = longWord();
      return make(whole.slice(0, 3 + Math.floor(random() * 2)));
    }),
    'filter only': many(() => make(undefined, filter())),
    'filter plus text': many(() => make(word(), filter())),
    'one word, after a write': many(() => make(word())),
    'one word, after a write of new words': many(() => make(word())),
  };
}

/** A synthetic model as the table's record of it. */
function modelRecord(document: SearchDocument): ModelRecord {
  return {
    name: document.name,
    type: document.framework as ModelType,
    meta: {},
    ...(document.description === undefined ? {} : { description: document.description }),
    ...(document.discipline === undefined ? {} : { discipline: document.discipline }),
    ...(document.title === undefined ? {} : { title: document.title }),
    authors: document.authors.map((author) => ({ ...author, role: 'creator' as const })),
    keywords: [...document.keywords],
    ...(document.license === undefined ? {} : { license: document.license }),
    ...(document.task === undefined ? {} : { task: document.task }),
    owner: document.owner,
    visibility: document.visibility,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
    revision: 1,
    versionCounter: document.latestVersion ?? 1,
    ...(document.latestVersion === undefined ? {} : { latestVersion: document.latestVersion }),
    state: 'active',
  };
}

async function startDynalite(): Promise<{ endpoint: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--max-old-space-size=6144', '--import', 'tsx', 'bench/support/dynalite-process.ts'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening (\S+)/.exec(chunk.toString());
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
  });
  return { endpoint, stop: () => child.kill('SIGTERM') };
}

/** The baseline's whole search: every page of the public listing, then the filters and words checked on each record. */
async function baselineSearch(documents: DynamoDBDocumentClient, search: SearchQuery): Promise<{ total: number }> {
  const words = (search.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const { filters } = search;
  const same = (value: unknown, wanted: string | undefined) => wanted === undefined || (typeof value === 'string' && value.toLowerCase() === wanted.toLowerCase());
  let total = 0;
  for await (const item of indexPartitionItems(documents, TABLE, TABLE_DESIGN.indexes.publicModels, PUBLIC_PARTITION)) {
    const authors = (item.authors ?? []) as { name: string; orcid?: string }[];
    const keywords = (item.keywords ?? []) as string[];
    if (!same(item.type, filters.framework) || !same(item.license, filters.license) || !same(item.task, filters.task) || !same(item.owner, filters.owner) || !same(item.discipline, filters.discipline)) continue;
    if (filters.keyword !== undefined && !keywords.some((keyword) => same(keyword, filters.keyword))) continue;
    if (filters.author !== undefined && !authors.some((author) => same(author.name, filters.author) || same(author.orcid, filters.author))) continue;
    if (filters.updatedSince !== undefined && String(item.updatedAt) < filters.updatedSince) continue;
    if (words.length > 0) {
      const text = [item.name, item.title, item.description, item.discipline, ...keywords, ...authors.map((author) => `${author.name} ${author.orcid ?? ''}`)].join(' ').toLowerCase();
      if (!words.every((word) => text.includes(word))) continue;
    }
    total += 1;
  }
  return { total };
}

async function loadTable(client: DynamoDBDocumentClient, records: readonly ModelRecord[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let at = 0; at < records.length; at += 25) batches.push(records.slice(at, at + 25).map((record) => modelItem(record)));
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < batches.length) {
      let items = batches[next++] as Record<string, unknown>[];
      while (items.length > 0) {
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [TABLE]: items.map((Item) => ({ PutRequest: { Item } })) } }));
        items = (result.UnprocessedItems?.[TABLE] ?? []).map((request) => request.PutRequest?.Item as Record<string, unknown>);
      }
    }
  }));
}

interface Latencies {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly meanTotal: number;
  readonly runs: number;
  /** The same percentiles of CPU time, when measured. */
  readonly cpu?: { readonly p50: number; readonly p95: number; readonly p99: number };
}

const percentiles = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
};

const latencies = (times: number[], totals: number[], cpu?: number[]): Latencies => ({
  ...percentiles(times),
  meanTotal: totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length),
  runs: times.length,
  ...(cpu ? { cpu: percentiles(cpu) } : {}),
});

/** Builds an engine and its snapshot; only the snapshot outlives the call, so the heap measured after holds the loaded engine alone. */
function buildSnapshot(documents: readonly SearchDocument[]): { snapshot: Buffer; buildMs: number; serializeMs: number; builtHeap: number } {
  const heapBefore = heapMb();
  const [built, buildMs] = time(() => createMiniSearchEngine(documents));
  const [snapshot, serializeMs] = time(() => built.serialize());
  return { snapshot, buildMs, serializeMs, builtHeap: heapMb() - heapBefore };
}

/** The JSON part of a load: the snapshot's header line (index-snapshot.ts), documents and terms. */
function timeParse(snapshot: Buffer): number {
  const start = performance.now();
  JSON.parse(snapshot.subarray(0, snapshot.indexOf(0x0a)).toString('utf8'));
  return performance.now() - start;
}

function timeLoad(snapshot: Buffer): number {
  gc();
  const start = performance.now();
  loadMiniSearchEngine(snapshot);
  return performance.now() - start;
}

async function main(): Promise<void> {
  const [corpus, generateMs] = time(() => syntheticCorpus({ count: COUNT, seed: 13 }));
  const { documents, vocabulary, users } = corpus;
  console.log(`generated ${COUNT} models in ${f(generateMs / 1000, 1)} s`);

  const loadBefore = loadavg()[0] as number;
  const { snapshot, buildMs, serializeMs, builtHeap } = buildSnapshot(documents);
  const [gzipped, gzipMs] = time(() => gzipSync(snapshot));
  console.log(`built in ${f(buildMs / 1000, 2)} s; snapshot ${f(snapshot.length / 2 ** 20)} MB, gzipped ${f(gzipped.length / 2 ** 20)} MB`);
  // Timed in functions of their own, so that nothing they built stays reachable from this frame.
  const parseMs = timeParse(snapshot);
  const loadMs = Math.min(timeLoad(snapshot), timeLoad(snapshot), timeLoad(snapshot));
  // Only the loaded engine lives on: the heap it adds is what a search function holds.
  const heapBeforeLoad = heapMb();
  const engine = loadMiniSearchEngine(snapshot);
  const loadedHeap = heapMb() - heapBeforeLoad;
  console.log(`loaded in ${f(loadMs)} ms (best of 3); heap after load +${f(loadedHeap)} MB`);

  const mix = queryMix(vocabulary, documents, users);
  for (const { query, viewer } of mix['one word'].slice(0, 30)) engine.search(query, viewer);
  const mlhub = {} as Record<QueryType, Latencies>;
  for (const type of QUERY_TYPES) {
    const times: number[] = [];
    const cpu: number[] = [];
    const totals: number[] = [];
    for (const [at, { query, viewer }] of mix[type].entries()) {
      // A write of usage figures moves no public statistic, and cached term scores are patched; new
      // words in a public model move document counts and mostly an average length, and drop cached
      // scores (term-scorer.ts, ScoringCache.afterWrite): the cold case.
      if (type === 'one word, after a write') engine.upsert({ ...(documents[at] as SearchDocument), downloads: 1 });
      if (type === 'one word, after a write of new words') engine.upsert({ ...(documents[at] as SearchDocument), visibility: 'public', title: `${vocabulary[at % vocabulary.length] as string} ${vocabulary[(7 * at) % vocabulary.length] as string} ${at}` });
      const [result, ms, cpuMs] = cpuTime(() => engine.search(query, viewer));
      times.push(ms);
      cpu.push(cpuMs);
      totals.push(result.total);
    }
    mlhub[type] = latencies(times, totals, cpu);
    console.log(`MLHub ${type}: p50 ${f(mlhub[type].p50)} ms, p95 ${f(mlhub[type].p95)} ms, p99 ${f(mlhub[type].p99)} ms (CPU p95 ${f(mlhub[type].cpu?.p95 ?? 0)} ms)`);
  }

  const dynalite = await startDynalite();
  const baseline = {} as Record<QueryType, Latencies>;
  let loadTableMs = 0;
  const publicRecords = documents.filter((document) => document.visibility === 'public').map(modelRecord);
  try {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS }), { marshallOptions: { removeUndefinedValues: true } });
    await ensureTable(client, TABLE);
    const started = performance.now();
    await loadTable(client, publicRecords);
    loadTableMs = performance.now() - started;
    console.log(`loaded ${publicRecords.length} public models into dynalite in ${f(loadTableMs / 1000)} s`);
    await baselineSearch(client, mix['one word'][0]?.query as SearchQuery);
    for (const type of QUERY_TYPES) {
      const times: number[] = [];
      const totals: number[] = [];
      for (const { query } of mix[type].slice(0, AFTER_A_WRITE.includes(type) ? 0 : BASELINE_RUNS)) {
        const started = performance.now();
        const result = await baselineSearch(client, query);
        times.push(performance.now() - started);
        totals.push(result.total);
      }
      if (times.length > 0) baseline[type] = latencies(times, totals);
      if (baseline[type]) console.log(`baseline ${type}: p50 ${f(baseline[type].p50)} ms, p95 ${f(baseline[type].p95)} ms`);
    }
  } finally {
    dynalite.stop();
  }

  const loadAfter = loadavg()[0] as number;
  const mark = (ok: boolean) => (ok ? '✅' : '❌');
  const lines = [
    '# Search: MLHub\'s engine against a DynamoDB listing filtered in memory',
    '',
    `Measured ${new Date().toISOString()} by \`npm run bench:search\` on Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}.`,
    `The machine was shared: its 1-minute load average was ${f(loadBefore)} when the run began and ${f(loadAfter)} when it ended, on ${cpus().length} cores,`,
    'so wall times include waiting for a core; the CPU-time columns (this process\'s user + system time per search) are less',
    'affected, though not immune (shared caches).',
    '',
    `Corpus: ${COUNT.toLocaleString('en')} synthetic models from bench/support/synthetic-models.ts (seed 13): a 20 000-word Zipf vocabulary`,
    '(exponent 1.07) for titles (80% have one, 4–8 words), descriptions (85%, 12–28 words) and keywords (0–6);',
    '1–4 authors from a Zipf pool, 70% with ORCID iDs; skewed licenses, frameworks, tasks, disciplines; 5% private with',
    '0–3 grantees; Pareto-distributed downloads and predictions. Generated in ' + `${f(generateMs / 1000)} s.`,
    '',
    `Query mix (seed 2026): ${QUERIES_PER_TYPE} searches per type, words drawn Zipf-wise from the same vocabulary (common words are`,
    'searched more, so many searches match tens of thousands of models), half of them anonymous and half by a random user,',
    '20 hits a page with facets and the total over the whole result. Typos change one letter of a word of 5+ letters;',
    'prefixes are the first 3–4 letters of one. Filters: a framework, license, task, keyword, author, or',
    'framework + updated since, taken from a random model.',
    '',
    'The engine is warm: scoring keeps each query term\'s expansions and scores, and the public counts of the postings it read,',
    'across writes, less what a write moves (term-scorer.ts, ScoringCache); common words come back often. The last two rows',
    'write one model before each search: what a search function sees right after it catches up with a change. "After a write"',
    'rewrites a model\'s download count: no public statistic moves, so the cached scores are patched for that model alone.',
    '"After a write of new words" gives a public model a new title: the document counts of the words it gains and loses move,',
    'and the average title length mostly does, so those words\' cached scores, or all of them, are dropped (scores stay exact',
    'for every viewer, never approximated) and common words are scored afresh.',
    '',
    '## The index',
    '',
    '| Figure | Value | Goal |',
    '|---|---:|---|',
    `| Build (${COUNT.toLocaleString('en')} documents) | ${f(buildMs / 1000, 2)} s | |`,
    `| Heap of the built engine | ${f(builtHeap)} MB | |`,
    `| Snapshot, raw (a JSON header line, then Int32Arrays: index-snapshot.ts) | ${f(snapshot.length / 2 ** 20)} MB (serialize ${f(serializeMs)} ms) | |`,
    `| Snapshot, gzipped | ${f(gzipped.length / 2 ** 20)} MB (gzip ${f(gzipMs)} ms) | |`,
    `| Load from the raw snapshot (best of 3) | ${f(loadMs)} ms, of which the header's JSON.parse ${f(parseMs)} ms | ≤ ${GOALS.loadMs} ms ${mark(loadMs <= GOALS.loadMs)} |`,
    `| Heap added by the loaded engine (after GC) | ${f(loadedHeap)} MB | ≤ ${GOALS.heapMb} MB ${mark(loadedHeap <= GOALS.heapMb)} |`,
    '',
    '## Latency per query type',
    '',
    'MLHub: `MiniSearchEngine.search` in process (what the search function runs). Baseline: the obvious way with the table as',
    'it is: Query the public listing index (GSI `publicModels`) page by page to the end, and keep the records whose',
    'fields equal the filters and whose text holds every word as a substring (no ranking, no typo tolerance, no facets, public',
    `models only). The baseline's table is dynalite in a child process holding the ${publicRecords.length.toLocaleString('en')} public models as`,
    `META items shaped as DynamoModelStore writes them (modelItem); loading them took ${f(loadTableMs / 1000)} s (BatchWrite, 4 at a time).`,
    `The baseline ran the first ${BASELINE_RUNS} queries of each type (each reads the whole listing), so its p95/p99 are of ${BASELINE_RUNS} runs.`,
    '',
    `| Query type | MLHub p50 | MLHub p95 | MLHub p99 | MLHub CPU p50 / p95 / p99 | Mean total | Baseline p50 | Baseline p95 | Baseline p99 | p95 ratio (baseline / MLHub) | MLHub p95 goal ≤ ${GOALS.p95Ms} ms (wall / CPU) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...QUERY_TYPES.map((type) => {
      const ours = mlhub[type];
      const theirs = baseline[type] as Latencies | undefined;
      const cpu = ours.cpu ?? { p50: NaN, p95: NaN, p99: NaN };
      if (!theirs) return `| ${type} | ${f(ours.p50)} ms | ${f(ours.p95)} ms | ${f(ours.p99)} ms | ${f(cpu.p50)} / ${f(cpu.p95)} / ${f(cpu.p99)} ms | ${Math.round(ours.meanTotal).toLocaleString('en')} | (as one word) | | | | ${mark(ours.p95 <= GOALS.p95Ms)} / ${mark(cpu.p95 <= GOALS.p95Ms)} |`;
      return `| ${type} | ${f(ours.p50)} ms | ${f(ours.p95)} ms | ${f(ours.p99)} ms | ${f(cpu.p50)} / ${f(cpu.p95)} / ${f(cpu.p99)} ms | ${Math.round(ours.meanTotal).toLocaleString('en')} | ${f(theirs.p50)} ms | ${f(theirs.p95)} ms | ${f(theirs.p99)} ms | ${f(theirs.p95 / ours.p95)}× | ${mark(ours.p95 <= GOALS.p95Ms)} / ${mark(cpu.p95 <= GOALS.p95Ms)} |`;
    }),
    '',
  ];
  await mkdir(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(REPORT, `${lines.join('\n')}\n`);
  console.log(`wrote ${REPORT}`);
}

await main();
