import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';

const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };
const trace = (sampled: 0 | 1) => `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=${sampled}`;
const saved = { ...process.env };

afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

/** A fresh copy of the tracing module, as a new execution environment has, under the given environment. */
async function freshTracing(env: Record<string, string>) {
  Object.assign(process.env, env);
  return import('../../../functions/observability/tracing');
}

const instrumented = (client: S3Client): boolean => client.middlewareStack.identify().some((name) => name.startsWith('XRaySDKInstrumentation'));
const newClient = () => new S3Client({ region: 'us-east-1' });

describe('tracingEnabled', () => {
  it('follows Powertools\' rule: in a Lambda execution environment unless POWERTOOLS_TRACE_ENABLED=false, never under SAM, Amplify\'s mock or elsewhere', async () => {
    const { tracingEnabled } = await freshTracing({});
    expect(tracingEnabled(LAMBDA)).toBe(true);
    expect(tracingEnabled({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
    expect(tracingEnabled({ ...LAMBDA, AWS_SAM_LOCAL: 'true' })).toBe(false);
    expect(tracingEnabled({ AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' })).toBe(false);
    expect(tracingEnabled({})).toBe(false);
  });
});

describe('startTracing', () => {
  it('instruments the registered clients, and those registered later, on the first sampled invocation', async () => {
    const { startTracing, traced } = await freshTracing({ ...LAMBDA, _X_AMZN_TRACE_ID: trace(0) });
    const early = traced(newClient());
    await startTracing();
    expect(instrumented(early)).toBe(false);
    process.env._X_AMZN_TRACE_ID = trace(1);
    await startTracing();
    expect(instrumented(early)).toBe(true);
    expect(instrumented(traced(newClient()))).toBe(true);
    // Once only: a second sampled invocation adds nothing.
    const names = early.middlewareStack.identify().length;
    await startTracing();
    expect(early.middlewareStack.identify()).toHaveLength(names);
  });

  it('never loads the tracer where tracing is off, however the request is sampled (the local runtime, tests)', async () => {
    for (const env of [{ _X_AMZN_TRACE_ID: trace(1) }, { ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false', _X_AMZN_TRACE_ID: trace(1) }]) {
      vi.resetModules();
      const { startTracing, traced } = await freshTracing(env);
      const client = traced(newClient());
      await startTracing();
      expect(instrumented(client)).toBe(false);
    }
  });
});
