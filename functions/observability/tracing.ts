import { isRequestXRaySampled } from '@aws-lambda-powertools/commons/utils/env';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { OBSERVABILITY_ENV, SERVICE_NAME } from './observability-settings';

type TracedClient = Parameters<Tracer['captureAWSv3Client']>[0];

/**
 * Whether this environment traces at all: Powertools' own rule (Tracer.setTracingEnabled) without
 * loading it, so that a function that never traces never pays for the X-Ray SDK. On in a Lambda
 * execution environment unless POWERTOOLS_TRACE_ENABLED=false; off under SAM and Amplify's mocks
 * and everywhere else (the local runtime, tests).
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const executionEnv = env.AWS_EXECUTION_ENV ?? '';
  return env[OBSERVABILITY_ENV.traceEnabled]?.toLowerCase() !== 'false'
    && executionEnv !== '' && executionEnv !== 'AWS_Lambda_amplify-mock' && !env.AWS_SAM_LOCAL;
}

const clients = new Set<TracedClient>();
let tracer: Tracer | undefined;
let loading: Promise<Tracer> | undefined;

/**
 * Registers an AWS SDK v3 client for X-Ray: its calls show as subsegments (DynamoDB, S3, Lambda,
 * SageMaker) once tracing has started, whether the client was made before or after. Returns the
 * client itself.
 */
export function traced<Client>(client: Client): Client {
  clients.add(client as TracedClient);
  if (tracer) tracer.captureAWSv3Client(client as TracedClient);
  return client;
}

/**
 * Called at the start of every invocation. The X-Ray SDK (aws-xray-sdk-core, under Powertools'
 * Tracer) is loaded on the first invocation that X-Ray samples, and the registered clients are
 * instrumented then: an unsampled invocation records nothing, so a cold start that is not traced
 * does not load the SDK (bench/results/bundles.md measures what it costs when it does).
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (tracer || !tracingEnabled(env) || !isRequestXRaySampled()) return;
  loading ??= import('@aws-lambda-powertools/tracer').then(({ Tracer: PowertoolsTracer }) => new PowertoolsTracer({ serviceName: SERVICE_NAME }));
  const loaded = await loading;
  if (tracer) return;
  tracer = loaded;
  for (const client of clients) loaded.captureAWSv3Client(client);
}
