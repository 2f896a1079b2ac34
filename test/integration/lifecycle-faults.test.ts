import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SEARCH_PREFIX } from '../../functions/search/search-snapshots';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_TABLE } from '../../local/local-resources';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import type { VersionRecord } from '../../functions/versions/version-records';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';
import { makeTar } from '../support/tarballs';

/*
 * kill -9 in the middle of the lifecycle's steps, then start again on the same data folder: every
 * version must end ready with its bytes, or ended with its reason; nothing stays pending past its
 * expiry; no object holds bytes without a ready version behind it.
 */

const SESSION_SECONDS = 3;
const env = { MLHUB_UPLOAD_SESSION_SECONDS: String(SESSION_SECONDS), MLHUB_SWEEP_SECONDS: '1', MLHUB_ACCESS_LOG: 'on' };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
let mlhub: RunningMlhub;
let dataDir: string;
let counter = 0;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const octets = (body: Buffer) => ({ body, headers: { 'content-type': 'application/octet-stream' } });

/** A bundle of a few MB of incompressible bytes, so its upload and check take long enough to be cut. */
async function bundle(megabytes = 3): Promise<Buffer> {
  counter += 1;
  return gzipSync(await makeTar([{ name: `f${counter}/`, type: 'directory' }, { name: `f${counter}/model.onnx`, content: randomBytes(megabytes * 1024 * 1024) }]), { level: 1 });
}

/** Sends a request and forgets it: the process is about to die under it. */
function fire(method: string, path: string, init?: RequestInit): void {
  fetch(`${mlhub.url}${path}`, { method, ...init }).then((response) => response.arrayBuffer(), () => undefined).catch(() => undefined);
}

async function killAndRestart(afterMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  process.kill(mlhub.pid, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 100));
  mlhub = await startMlhub({ dataDir, env });
}

/** Every version item, and the names of models whose delete has not ended. */
async function tableState(): Promise<{ versions: VersionRecord[]; deleting: string[] }> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: mlhub.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS }));
  const versions: VersionRecord[] = [];
  const deleting: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: LOCAL_TABLE, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) {
      if (item.kind === 'version') versions.push(item as unknown as VersionRecord);
      if (item.kind === 'model' && item.state === 'deleting') deleting.push(String(item.name));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return { versions, deleting };
}

async function objectsWithBytes(): Promise<Map<string, number>> {
  const { client } = bucketReader(mlhub.s3Endpoint);
  const sizes = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET, ContinuationToken: token }));
    // The search index's snapshots share the bucket (functions/search/search-snapshots.ts): they are no bundle bytes.
    for (const object of page.Contents ?? []) if ((object.Size ?? 0) > 0 && !(object.Key ?? '').startsWith(SEARCH_PREFIX)) sizes.set(object.Key ?? '', object.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return sizes;
}

beforeAll(async () => {
  mlhub = await startMlhub({ env });
  dataDir = mlhub.dataDir;
});

afterAll(async () => {
  await mlhub?.stop();
  if (dataDir) await removeDataDir(dataDir);
});

describe('kill -9 mid-lifecycle, then restart', () => {
  it('ends every version ready with its bytes or ended with its reason, and leaves no bytes without a ready version', async () => {
    const sent = new Map<string, Buffer>();
    // A direct upload cut at several points.
    for (const [i, delay] of [40, 150, 400].entries()) {
      const name = `fault-direct-${i}`;
      expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
      const bytes = await bundle();
      sent.set(name, bytes);
      fire('POST', `/model/${name}/upload`, { body: bytes, headers: { 'content-type': 'application/octet-stream' } });
      await killAndRestart(delay);
    }
    // A presigned upload whose check (complete) is cut.
    for (const [i, delay] of [20, 120, 300].entries()) {
      const name = `fault-check-${i}`;
      expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
      const bytes = await bundle();
      sent.set(name, bytes);
      const session = (await api('POST', `/model/${name}/uploads`, json({ size: bytes.length, sha256: sha(bytes) }))).body as { upload_id: string; urls: { url: string; headers: Record<string, string> }[] };
      expect((await fetch(session.urls[0]?.url ?? '', { method: 'PUT', body: bytes, headers: session.urls[0]?.headers })).status).toBe(200);
      fire('POST', `/model/${name}/uploads/${session.upload_id}/complete`);
      await killAndRestart(delay);
    }
    // An abort cut, and a model delete cut.
    for (const [i, delay] of [5, 60].entries()) {
      const name = `fault-abort-${i}`;
      expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
      const bytes = await bundle(1);
      const session = (await api('POST', `/model/${name}/uploads`, json({ size: bytes.length }))).body as { upload_id: string };
      fire('DELETE', `/model/${name}/uploads/${session.upload_id}`);
      await killAndRestart(delay);
    }
    for (const [i, delay] of [10, 80].entries()) {
      const name = `fault-delete-${i}`;
      expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
      for (let v = 0; v < 3; v += 1) expect((await api('POST', `/model/${name}/upload`, octets(await bundle(1)))).status).toBe(201);
      fire('DELETE', `/model/${name}`);
      await killAndRestart(delay);
    }

    // Past every expiry and a few sweeps, nothing is pending any more, and every delete has ended.
    const deadline = Date.now() + 60_000;
    let state = await tableState();
    const unsettled = () => state.versions.some((version) => version.status === 'pending') || state.deleting.length > 0;
    while (unsettled() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      state = await tableState();
    }
    const { versions } = state;
    expect(versions.filter((version) => version.status === 'pending').map((version) => `${version.name} v${version.version}`), mlhub.output().slice(-3000)).toEqual([]);
    expect(state.deleting).toEqual([]);

    for (const version of versions) {
      if (version.status === 'ready') {
        const served = await fetch(`${mlhub.url}/model/${version.name}/download?version=${version.version}`);
        expect(served.status).toBe(200);
        const bytes = Buffer.from(await served.arrayBuffer());
        expect(sha(bytes)).toBe(version.sha256);
        if (sent.has(version.name)) expect(version.sha256).toBe(sha(sent.get(version.name) as Buffer));
      } else {
        expect(['rejected', 'aborted', 'deleted']).toContain(version.status);
        expect(version.reason, `${version.name} v${version.version}`).toMatch(/\S/);
      }
    }
    const readyKeys = new Set(versions.filter((version) => version.status === 'ready').map((version) => version.bundleKey));
    const orphans = [...(await objectsWithBytes()).keys()].filter((key) => !readyKeys.has(key));
    expect(orphans).toEqual([]);
    expect((await api('GET', '/status')).status).toBe(200);
  }, 240_000);
});
