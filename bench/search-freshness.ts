/**
 * `npm run bench:search-freshness`: writes bench/results/search-freshness.md. Freshness of search
 * after a write through the local runtime (`npm start`, issue 13's goal: ≤ 2 s locally): for each
 * of a run of metadata updates over HTTP, the time from the update's answer until the search
 * change log holds the new document (the local stream's delivery to indexModels, and its entry),
 * polled every 5 ms; and for access changes, whether the entry is there when the request
 * answers (it must be, every time). Then the time one loader call takes to catch up.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PROJECT_ROOT } from '../lib/functions/handler-bundling';
import { SearchChangeLog } from '../functions/search/search-change-log';
import { SearchIndexLoader } from '../functions/search/search-index-loader';
import { SearchSnapshots } from '../functions/search/search-snapshots';
import { openLocalIssuer } from '../local/local-issuer';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_TABLE } from '../local/runtime';
import { LOCAL_S3_CREDENTIALS } from '../local/s3-server';
import { arrayEngineKind } from '../test/support/array-search-engine';
import { call, json } from '../test/support/http';
import { removeDataDir, startMlhub } from '../test/support/local-runtime';
import { bucketReader } from '../test/support/s3-inspect';

const RUNS = Number(process.env.BENCH_FRESHNESS_RUNS) || 40;
const REPORT = join(PROJECT_ROOT, 'bench', 'results', 'search-freshness.md');
const GOAL_MS = 2_000;

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function main(): Promise<void> {
  const mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  try {
    const issuer = await openLocalIssuer(mlhub.dataDir);
    const auth = `Bearer ${await issuer.sign('bench-user')}`;
    const send = (method: string, path: string, body?: unknown) => call(mlhub.url, method, path, { ...(body === undefined ? {} : json(body)), headers: { 'content-type': 'application/json', authorization: auth } });
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: mlhub.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS }));
    const log = new SearchChangeLog(documents, LOCAL_TABLE);
    const newest = async (name: string) => (await log.changesAfter(0)).changes.filter((change) => change.name === name).at(-1);

    const name = 'freshness-bench';
    if ((await send('POST', `/model/${name}`, { type: 'onnx', title: 'start' })).status !== 201) throw new Error('could not create the model');
    const delays: number[] = [];
    let accessHeld = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const title = `title ${run}`;
      if ((await send('PUT', `/model/${name}`, { title })).status !== 200) throw new Error('update refused');
      const answered = performance.now();
      while ((await newest(name))?.document?.title !== title) {
        if (performance.now() - answered > 30_000) throw new Error(`update ${run} never reached the log`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      delays.push(performance.now() - answered);
      const grants = run % 2 === 0 ? [{ user: 'reader', role: 'read' }] : [];
      if ((await send('PUT', `/model/${name}/access`, { grants })).status !== 200) throw new Error('access change refused');
      if (JSON.stringify((await newest(name))?.document?.grantees) === JSON.stringify(grants.map((grant) => grant.user))) accessHeld += 1;
    }
    const loader = new SearchIndexLoader({ engine: arrayEngineKind(), log, snapshots: new SearchSnapshots(bucketReader(mlhub.s3Endpoint).client, LOCAL_BUCKET) });
    await loader.index();
    const catchUps: number[] = [];
    for (let run = 0; run < 20; run += 1) {
      const started = performance.now();
      await loader.index();
      catchUps.push(performance.now() - started);
    }
    const sorted = [...delays].sort((a, b) => a - b);
    const sortedCatchUps = [...catchUps].sort((a, b) => a - b);
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    const report = [
      '# Search freshness after a write (local runtime)',
      '',
      `Written by \`npm run bench:search-freshness\` (bench/search-freshness.ts) on ${new Date().toISOString()}. Goal (issue 13): a write is seen by search within ${GOAL_MS / 1000} s locally.`,
      '',
      `## Metadata updates (through the local stream and indexModels): ${RUNS} runs`,
      '',
      '| | time from the answer to the log entry |',
      '|---|---|',
      `| p50 | ${ms(percentile(sorted, 50))} |`,
      `| p95 | ${ms(percentile(sorted, 95))} |`,
      `| max | ${ms(sorted.at(-1) ?? NaN)} |`,
      `| goal met | ${(sorted.at(-1) ?? Infinity) <= GOAL_MS ? 'yes' : 'no'} |`,
      '',
      `## Access changes (recorded by the write itself): ${accessHeld} of ${RUNS} in the log when the request answered`,
      '',
      `## A search function's catch-up (one change-log Query per call, nothing new): p50 ${ms(percentile(sortedCatchUps, 50))}, max ${ms(sortedCatchUps.at(-1) ?? NaN)}`,
      '',
    ].join('\n');
    await writeFile(REPORT, report);
    process.stdout.write(report);
  } finally {
    await mlhub.stop();
    await removeDataDir(mlhub.dataDir);
  }
}

await main();
