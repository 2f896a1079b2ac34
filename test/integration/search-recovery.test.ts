/**
 * Search after a kill -9 of the local runtime (issue 13): locally the table's stream is this
 * process's memory, so a change that reached the table and not the search change log is lost with
 * the process. The next start must rebuild the index from the table before it serves, or search
 * goes on showing a model made private, unshared, deleted (or missing a created one) for good.
 * The lost changes are made here by writing the table directly, past the runtime: exactly what
 * the change log misses when the process dies between the table write and its log entry.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_TABLE } from '../../local/local-resources';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { SEARCH_POINTER_KEY } from '../../functions/search/search-snapshots';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

const env = { MLHUB_AUTH: 'required' };
let mlhub: RunningMlhub;
let dataDir: string;
let alice: string;
let bob: string;

const as = (token: string | undefined, method: string, path: string, init?: Parameters<typeof call>[3]) =>
  call(mlhub.url, method, path, { ...init, headers: { ...init?.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
const found = async (token: string | undefined, q: string): Promise<string[]> => {
  const reply = await as(token, 'GET', `/models?q=${q}&sort=name&limit=100`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return (reply.body as { hits: { model: string }[] }).hits.map((hit) => hit.model);
};

/** The runtime's table, written past the runtime: no stream record, no log entry. */
function table(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: mlhub.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS }));
}

async function killAndRestart(): Promise<void> {
  process.kill(mlhub.pid, 'SIGKILL');
  await mlhub.stop();
  mlhub = await startMlhub({ dataDir, env });
}

beforeAll(async () => {
  mlhub = await startMlhub({ env });
  dataDir = mlhub.dataDir;
  const issuer = await openLocalIssuer(dataDir);
  alice = await issuer.sign('alice', { expiresIn: '1h' });
  bob = await issuer.sign('bob', { expiresIn: '1h' });
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (dataDir) await removeDataDir(dataDir);
});

describe('search after an unclean stop of the local runtime', () => {
  it('shows the table\'s truth after kill -9 and a restart: made private, unshared, deleted and created in the window', async () => {
    for (const name of ['kr-private', 'kr-deleted', 'kr-kept']) {
      expect((await as(alice, 'POST', `/model/${name}`, json({ type: 'onnx', title: `killrecover ${name}`, visibility: 'public' }))).status).toBe(201);
    }
    expect((await as(alice, 'POST', '/model/kr-shared', json({ type: 'onnx', title: 'killrecover kr-shared' }))).status).toBe(201);
    expect((await as(alice, 'PUT', '/model/kr-shared/access', json({ grants: [{ user: 'bob', role: 'read' }] }))).status).toBe(200);
    expect(await found(undefined, 'killrecover')).toEqual(['kr-deleted', 'kr-kept', 'kr-private']);
    expect(await found(bob, 'killrecover')).toEqual(['kr-deleted', 'kr-kept', 'kr-private', 'kr-shared']);

    const client = table();
    const meta = (name: string) => ({ PK: `MODEL#${name}`, SK: 'META' });
    await client.send(new UpdateCommand({ TableName: LOCAL_TABLE, Key: meta('kr-private'), UpdateExpression: 'SET visibility = :private REMOVE GSI2PK, GSI2SK', ExpressionAttributeValues: { ':private': 'private' } }));
    await client.send(new DeleteCommand({ TableName: LOCAL_TABLE, Key: { PK: 'MODEL#kr-shared', SK: 'GRANT#bob' } }));
    await client.send(new UpdateCommand({ TableName: LOCAL_TABLE, Key: meta('kr-deleted'), UpdateExpression: 'SET #state = :deleted REMOVE GSI2PK, GSI2SK', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':deleted': 'deleted' } }));
    const kept = (await client.send(new GetCommand({ TableName: LOCAL_TABLE, Key: meta('kr-kept') }))).Item ?? {};
    await client.send(new PutCommand({ TableName: LOCAL_TABLE, Item: { ...kept, ...meta('kr-created'), name: 'kr-created', title: 'killrecover kr-created', GSI1SK: `${String(kept.createdAt)}#kr-created`, GSI2SK: `${String(kept.createdAt)}#kr-created` } }));
    client.destroy();
    // What the log says (the changes never reached it), as a start without the fix keeps serving.
    expect(await found(undefined, 'killrecover')).toEqual(['kr-deleted', 'kr-kept', 'kr-private']);

    await killAndRestart();
    expect(await found(undefined, 'killrecover')).toEqual(['kr-created', 'kr-kept']);
    expect(await found(bob, 'killrecover')).toEqual(['kr-created', 'kr-kept']);
    expect(await found(alice, 'killrecover')).toEqual(['kr-created', 'kr-kept', 'kr-private', 'kr-shared']);
    expect(mlhub.output()).toMatch(/Search index: \d+ models at change \d+, rebuilt from the table \(the previous run did not stop cleanly\)/);

    // A clean stop needs no rebuild: the next start loads the snapshot the rebuild wrote.
    expect(await mlhub.stop()).toBe(0);
    mlhub = await startMlhub({ dataDir, env });
    await expect.poll(() => mlhub.output(), { timeout: 30_000 }).toMatch(/Search index: \d+ models at change \d+, loaded from search\/snapshots\//);
    expect(await found(undefined, 'killrecover')).toEqual(['kr-created', 'kr-kept']);
  });

  it('heals when the owner repeats an access change whose table write landed and whose log entry did not', async () => {
    expect((await as(alice, 'POST', '/model/kr-repeat', json({ type: 'onnx', title: 'repeatheal', visibility: 'public' }))).status).toBe(201);
    const client = table();
    await client.send(new UpdateCommand({ TableName: LOCAL_TABLE, Key: { PK: 'MODEL#kr-repeat', SK: 'META' }, UpdateExpression: 'SET visibility = :private REMOVE GSI2PK, GSI2SK', ExpressionAttributeValues: { ':private': 'private' } }));
    client.destroy();
    expect(await found(undefined, 'repeatheal')).toEqual(['kr-repeat']);
    expect((await as(alice, 'PUT', '/model/kr-repeat/access', json({ visibility: 'private' }))).status).toBe(200);
    expect(await found(undefined, 'repeatheal')).toEqual([]);
  });

  it('rebuilds from the table when S3 cannot read the pointer at start (damaged metadata), rewrites it, and never answers a bare 500', async () => {
    expect((await as(alice, 'POST', '/model/kr-damaged', json({ type: 'onnx', title: 'damageprobe', visibility: 'public' }))).status).toBe(201);
    expect(await mlhub.stop()).toBe(0);
    // s3rver keeps an object's metadata beside it; a torn one makes every GET of it a 500 InternalError.
    await writeFile(join(dataDir, 's3', LOCAL_BUCKET, `${SEARCH_POINTER_KEY}._S3rver_metadata.json`), '{"cach');
    mlhub = await startMlhub({ dataDir, env });
    expect(await found(undefined, 'damageprobe')).toEqual(['kr-damaged']);
    await expect.poll(() => mlhub.output(), { timeout: 30_000 }).toMatch(/rebuilt from the table \(the snapshot pointer could not be read/);
    // The indexer wrote a fresh pointer over the damaged one: the next start loads it.
    expect(await mlhub.stop()).toBe(0);
    mlhub = await startMlhub({ dataDir, env });
    await expect.poll(() => mlhub.output(), { timeout: 30_000 }).toMatch(/loaded from search\/snapshots\//);
    expect(await found(undefined, 'damageprobe')).toEqual(['kr-damaged']);
  });
});
