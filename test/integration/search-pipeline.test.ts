/**
 * The search pipeline through the local runtime (`npm start`): writes over HTTP reach the search
 * change log, access changes before their request answers and the rest through the local stream
 * and the indexModels function; a loader over the runtime's table and bucket (with the test
 * double of SearchEngine, test/support/array-search-engine.ts) sees each change at its next call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SearchChangeLog, type SearchChange } from '../../functions/search/search-change-log';
import { SearchIndexLoader } from '../../functions/search/search-index-loader';
import { SearchSnapshots } from '../../functions/search/search-snapshots';
import { openLocalIssuer } from '../../local/local-issuer';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_TABLE } from '../../local/local-resources';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { arrayEngineKind } from '../support/array-search-engine';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';

let mlhub: RunningMlhub;
let log: SearchChangeLog;
let snapshots: SearchSnapshots;
const sessions = new Map<string, string>();
const [ada, bob] = ['2c1f6a9e-3b7d-4e21-9a0c-5d8e7f6b4a31', '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b'];

const as = (user: string, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}) =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, authorization: sessions.get(user) ?? '' } });

/** The newest entry the log holds for a model. */
async function latest(name: string): Promise<SearchChange | undefined> {
  return (await log.changesAfter(0)).changes.filter((change) => change.name === name).at(-1);
}

/** Waits (up to 10 s) for the log's newest entry of a model to satisfy `check`: the local stream delivers within a moment. */
async function eventually(name: string, check: (change: SearchChange | undefined) => boolean): Promise<SearchChange | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const change = await latest(name);
    if (check(change) || Date.now() > deadline) return change;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const user of [ada, bob]) sessions.set(user, `Bearer ${await issuer.sign(user)}`);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: mlhub.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS }));
  log = new SearchChangeLog(documents, LOCAL_TABLE);
  snapshots = new SearchSnapshots(bucketReader(mlhub.s3Endpoint).client, LOCAL_BUCKET);
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('search freshness through npm start', () => {
  it('records create and update through the stream, share, unshare and delete before they answer; a loader sees each at its next call', async () => {
    const searches = new SearchIndexLoader({ engine: arrayEngineKind(), log, snapshots, pointerCheckMs: 0 });
    const name = 'fresh-digits';
    expect((await as(ada, 'POST', `/model/${name}`, json({ type: 'onnx', title: 'Digits', visibility: 'public' }))).status).toBe(201);
    expect((await eventually(name, (change) => change?.document?.title === 'Digits'))?.document).toMatchObject({ name, title: 'Digits', owner: ada, visibility: 'public' });
    expect((await searches.index()).get(name)?.title).toBe('Digits');

    expect((await as(ada, 'PUT', `/model/${name}`, json({ title: 'Handwritten digits' }))).status).toBe(200);
    expect((await eventually(name, (change) => change?.document?.title === 'Handwritten digits'))?.document?.title).toBe('Handwritten digits');
    expect((await searches.index()).get(name)?.title).toBe('Handwritten digits');

    // Access changes: in the log when the request answers, no waiting.
    expect((await as(ada, 'PUT', `/model/${name}/access`, json({ visibility: 'private', grants: [{ user: bob, role: 'read' }] }))).status).toBe(200);
    expect((await latest(name))?.document).toMatchObject({ visibility: 'private', grantees: [bob] });
    expect((await searches.index()).get(name)).toMatchObject({ visibility: 'private', grantees: [bob] });

    expect((await as(ada, 'PUT', `/model/${name}/access`, json({ grants: [] }))).status).toBe(200);
    expect((await latest(name))?.document?.grantees).toEqual([]);
    expect((await searches.index()).search({ filters: {}, sort: 'name', direction: 'asc', limit: 10, q: name }, { userId: bob }).total).toBe(0);

    expect((await as(ada, 'DELETE', `/model/${name}`)).status).toBe(200);
    const removal = await latest(name);
    expect(removal?.name).toBe(name);
    expect(removal?.document).toBeUndefined();
    expect((await searches.index()).get(name)).toBeUndefined();
  });
});
