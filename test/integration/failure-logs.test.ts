/**
 * What an operator finds in the logs when MLHub fails a caller or refuses a bundle, over HTTP
 * against the local runtime with Powertools' JSON lines (as in Lambda): every handled 5xx at
 * ERROR under the request id the caller got, with its cause and no credential in it, and every
 * rejected bundle with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, json } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { closedPort, startProtocolServer, type ProtocolServer } from '../support/inference/protocol-server';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/** Credentials a failing backend might echo in its error: a JWT, and a presigned URL's signature. */
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLW9mLWFkYQ';
const SIGNATURE = '4f2d0c1e9b8a7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918a7b6c';

let mlhub: RunningMlhub;
let failing: ProtocolServer;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);

beforeAll(async () => {
  failing = await startProtocolServer(() => ({
    status: 500,
    json: { error: `model crashed reading s3://weights/m.pb?X-Amz-Signature=${SIGNATURE} as Bearer ${JWT}` },
  }));
  mlhub = await startMlhub({ env: { MLHUB_LOG_FORMAT: 'json', MLHUB_BACKEND_URL_ALLOWLIST: 'http://127.0.0.1:*' } });
});

afterAll(async () => {
  await mlhub?.stop();
  await failing?.close();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

interface LogEntry {
  readonly level?: string;
  readonly message?: string;
  readonly correlation_id?: string;
  readonly [key: string]: unknown;
}

/** The handlers' JSON log entries printed so far (the runtime's own lines are text). */
const entries = (): LogEntry[] => mlhub.output().split('\n').flatMap((line) => {
  if (!line.startsWith('{"level"')) return [];
  return [JSON.parse(line) as LogEntry];
});

/** Waits for the entries of a request, as output arrives through a pipe. */
async function entriesOf(requestId: string, message: string): Promise<LogEntry[]> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    const found = entries().filter((entry) => entry.correlation_id === requestId && entry.message === message);
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}

/** A TF Serving model at `url`, with the SavedModel bundle every prediction needs first. */
async function remoteModel(name: string, url: string): Promise<void> {
  expect((await api('POST', `/model/${name}`, json({ type: 'tf', meta: { backend: { kind: 'tfserving', url } } }))).status).toBe(201);
  const upload = await api('POST', `/model/${name}/upload`, { body: await modelBundle({ 'saved_model.pb': 'graph' }), headers: { 'content-type': 'application/octet-stream' } });
  expect(upload.status, JSON.stringify(upload.body)).toBe(201);
}

describe('a handled 5xx', () => {
  it('is logged at ERROR under the caller\'s request id with the backend\'s own words as its cause, credentials redacted', async () => {
    await remoteModel('crashing', failing.url);
    const reply = await api('POST', '/model/crashing/predict', json({ input: [[1, 2]] }));
    expectError(reply, 502, 'backend_error', /The tfserving backend failed: HTTP 500/);
    const requestId = reply.headers.get('x-request-id') as string;
    expect(requestId).toBeTruthy();

    const [entry, ...more] = await entriesOf(requestId, 'request failed');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ level: 'ERROR', status: 502, error_code: 'backend_error', route_id: 'predictModel', correlation_id: requestId });
    const cause = (entry?.error as { cause?: { name?: string; message?: string } }).cause;
    expect(cause?.name).toBe('BackendAnswerError');
    expect(cause?.message).toBe('The backend answered HTTP 500: model crashed reading s3://weights/m.pb?X-Amz-Signature=[redacted] as [redacted]');
    // Neither the caller nor the log got the credentials.
    expect(JSON.stringify(reply.body)).not.toContain('model crashed');
    expect(mlhub.output()).not.toContain(SIGNATURE);
    for (const part of JWT.split('.')) expect(mlhub.output()).not.toContain(part);
  });

  it('names why a backend could not be reached', async () => {
    await remoteModel('unreachable', `http://127.0.0.1:${await closedPort()}`);
    const reply = await api('POST', '/model/unreachable/predict', json({ input: [[1, 2]] }));
    expectError(reply, 502, 'backend_unavailable');
    const [entry] = await entriesOf(reply.headers.get('x-request-id') as string, 'request failed');
    expect(entry).toMatchObject({ level: 'ERROR', status: 502, error_code: 'backend_unavailable' });
    expect(JSON.stringify(entry?.error)).toMatch(/ECONNREFUSED/);
  });
});

describe('a rejected bundle', () => {
  it('is logged with the reason the version records', async () => {
    const bundle = Buffer.from('these bytes are no gzip-compressed tar');
    expect((await api('POST', '/model/refused', json({ type: 'onnx' }))).status).toBe(201);
    const started = await api('POST', '/model/refused/uploads', json({ size: bundle.length }));
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const session = started.body as { upload_id: string; urls: { url: string; headers?: Record<string, string> }[] };
    expect((await fetch(session.urls[0]!.url, { method: 'PUT', body: bundle, headers: session.urls[0]!.headers ?? {} })).status).toBe(200);
    expectError(await api('POST', `/model/refused/uploads/${session.upload_id}/complete`), 400, 'bundle_rejected');
    const version = ((await api('GET', '/model/refused')).body as { versions: { version: number; status: string; reason: string }[] }).versions[0];
    expect(version?.status).toBe('rejected');
    expect(version?.reason).toBeTruthy();

    let rejected: LogEntry[] = [];
    for (let waited = 0; waited < 5_000 && rejected.length === 0; waited += 50) {
      rejected = entries().filter((entry) => entry.message === 'bundle rejected' && entry.model === 'refused');
      if (rejected.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rejected).toEqual([expect.objectContaining({ level: 'INFO', model: 'refused', version: version?.version, bytes: bundle.length, reason: version?.reason })]);
  });
});
