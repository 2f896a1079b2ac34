import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../../support/inference/engine';
import { closedPort, startProtocolServer, type ProtocolServer } from '../../support/inference/protocol-server';
import { rejectionOf, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';

const HTTP_KINDS = ['tfserving', 'torchserve', 'oip', 'tfaas'] as const;
/** Longer than the test's own timeout: a backend call that waited for it would fail the test. */
const FOREVER_MS = 60_000;
const DEADLINE_MS = 200;
/**
 * For the calls that must fail at once (a refused connection, an error status): far over what they
 * take, so that a busy machine cannot turn them into timeouts; the short deadline is for the slow server.
 */
const AMPLE_MS = 20_000;

describe('backend failures', () => {
  let fixture: RemoteFixture;
  let slowFixture: RemoteFixture;
  let sagemakerDown: RemoteFixture;
  let sagemakerSlow: RemoteFixture;
  let downUrl: string;
  let slow: ProtocolServer;
  let failing: ProtocolServer;
  let status = 500;

  beforeAll(async () => {
    downUrl = `http://127.0.0.1:${await closedPort()}`;
    slow = await startProtocolServer(() => ({ delayMs: FOREVER_MS, json: {} }));
    failing = await startProtocolServer(() => (status === 302
      ? { status, headers: { location: `${slow.url}/elsewhere` } }
      : { status, json: { error: `internal detail at ${failing.url}/secret-path` } }));
    fixture = await remoteFixture({ config: { deadlineMs: AMPLE_MS } });
    slowFixture = await remoteFixture({ config: { deadlineMs: DEADLINE_MS } });
    const sagemakerAt = (endpoint: string, deadlineMs: number) => remoteFixture({
      config: { deadlineMs },
      engine: (config, shelf) => testEngine(shelf, config, new SageMakerRuntimeClient({
        region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1,
      })),
    });
    sagemakerDown = await sagemakerAt(downUrl, AMPLE_MS);
    sagemakerSlow = await sagemakerAt(slow.url, DEADLINE_MS);
  });

  afterAll(async () => {
    await Promise.all([slow.close(), failing.close(), fixture.remove(), slowFixture.remove(), sagemakerDown.remove(), sagemakerSlow.remove()]);
  });

  const input = () => fixture.json({ input: [[1, 2], [3, 4]] });

  it.each(HTTP_KINDS)('%s down: 502 naming the kind, never the address', async (kind) => {
    const error = await rejectionOf(fixture.predict({ kind, url: downUrl, model: 'm' }, input()));
    expect(error.kind).toBe('bad_gateway');
    expect(error.code).toBe('backend_unavailable');
    expect(error.message).toContain(`The ${kind} backend could not be reached`);
    expect(error.message).not.toContain('127.0.0.1');
    expect(error.message).not.toContain(new URL(downUrl).port);
  });

  it.each(HTTP_KINDS)('%s too slow: 504 at the deadline', async (kind) => {
    const error = await rejectionOf(slowFixture.predict({ kind, url: slow.url, model: 'm' }, slowFixture.json({ input: [[1, 2], [3, 4]] })));
    expect(error.kind).toBe('timeout');
    expect(error.code).toBe('backend_timeout');
    expect(error.message).toBe(`The ${kind} backend did not answer within ${DEADLINE_MS} ms`);
  });

  it.each(HTTP_KINDS)('%s failing: 500 becomes 502 without its details, 413 stays 413, 404 names the model', async (kind) => {
    status = 500;
    const failed = await rejectionOf(fixture.predict({ kind, url: failing.url, model: 'm' }, input()));
    expect(failed.kind).toBe('bad_gateway');
    expect(failed.message).toBe(`The ${kind} backend failed: HTTP 500`);
    // What the backend said goes to the logs only, as the cause.
    expect((failed.cause as Error).message).toBe(`The backend answered HTTP 500: internal detail at ${failing.url}/secret-path`);

    status = 413;
    expect((await rejectionOf(fixture.predict({ kind, url: failing.url, model: 'm' }, input()))).kind).toBe('too_large');

    status = 404;
    const unknown = await rejectionOf(fixture.predict({ kind, url: failing.url, model: 'mnist-v2' }, input()));
    expect(unknown.kind).toBe('bad_gateway');
    expect(unknown.message).toContain("does not serve model 'mnist-v2'");
    expect(unknown.message).not.toContain(failing.url);

    status = 422;
    const rejected = await rejectionOf(fixture.predict({ kind, url: failing.url, model: 'm' }, input()));
    expect(rejected.kind).toBe('invalid');
    expect(rejected.message).not.toContain(failing.url);
    expect(rejected.message).toContain('<url>');
  });

  it('does not follow a backend\'s redirect', async () => {
    status = 302;
    const before = slow.requests.length;
    const error = await rejectionOf(fixture.predict({ kind: 'tfserving', url: failing.url, model: 'm' }, input()));
    expect(error.kind).toBe('bad_gateway');
    expect(slow.requests.length).toBe(before);
  });

  it('sagemaker down: 502; too slow: 504', async () => {
    for (const [remote, kind] of [[sagemakerDown, 'bad_gateway'], [sagemakerSlow, 'timeout']] as const) {
      const error = await rejectionOf(remote.predict({ kind: 'sagemaker', endpoint: 'ep' }, input()));
      expect(error.kind).toBe(kind);
      expect(error.message).toContain('sagemaker');
      expect(error.message).not.toContain('127.0.0.1');
    }
  });

  it('refuses a backend URL outside the deployment\'s allow list before calling it', async () => {
    const guarded = await remoteFixture({ config: { allowedBackendUrls: ['http://tfs.internal:8501'] } });
    try {
      const before = slow.requests.length;
      const error = await rejectionOf(guarded.predict({ kind: 'tfserving', url: slow.url, model: 'm' }, guarded.json({ input: [1] })));
      expect(error.kind).toBe('conflict');
      expect(error.code).toBe('backend_not_allowed');
      expect(error.message).toContain('MLHUB_BACKEND_URL_ALLOWLIST');
      expect(error.message).not.toContain(slow.url);
      expect(slow.requests.length).toBe(before);

      const sneaky = await rejectionOf(guarded.predict({ kind: 'tfserving', url: 'http://tfs.internal:8501@169.254.169.254/', model: 'm' }, guarded.json({ input: [1] })));
      expect(sneaky.code).toBe('invalid_backend');
    } finally {
      await guarded.remove();
    }
  });
});
