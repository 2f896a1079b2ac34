import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandlers, DEPLOYED_HANDLERS, type HandlerBundle } from '../../bench/support/handler-bundles';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { App, Stack, RemovalPolicy, type NestedStack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { BUNDLE_ROOT, newBundleKey, modelPrefix } from '../../functions/bundles/bundle-keys';
import { DEFAULT_DEPLOY_PREFIX } from '../../functions/frameworks/deploy-settings';
import { S3BundleStore } from '../../functions/bundles/s3-bundle-store';
import { IDENTITY_ENV, loadIdentityConfig } from '../../functions/identity/identity-config';
import { createJwtVerifier } from '../../functions/identity/jwt-verifier';
import { selectBackend } from '../../functions/inference/backend-selection';
import { defaultBackendEnvName, INFERENCE_ENV, loadInferenceConfig } from '../../functions/inference/inference-config';
import { readModelParams } from '../../functions/inference/model-params';
import { BUNDLE_BUCKET_CORS } from '../../functions/bundles/bucket-cors';
import { CORS_ENV, loadCorsOrigins } from '../../functions/http/cors';
import { CONFIG_ENV, loadFunctionConfig } from '../../functions/platform/function-config';
import { rateClassOf } from '../../functions/rate-limits/rate-classes';
import { loadRateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import { MODEL_TYPES } from '../../functions/registry/model-type';
import { routeMethods } from '../../functions/routes/match-route';
import { functionsTriggeredBy } from '../../functions/catalogue/function-catalogue';
import { ROUTES, type RouteSpec } from '../../functions/routes/route-table';
import { ALL_INDEXES, TABLE_DESIGN } from '../../functions/store/table-design';
import { DynamoTokenStore } from '../../functions/tokens/dynamo-token-store';
import { BUNDLE_OBJECTS_PATTERN, SEARCH_OBJECTS_PATTERN } from '../../lib/access/access-statements';
import { CATALOGUE_ACCESS } from '../../lib/access/event-access';
import { routeAccess, type AccessTarget, type RouteAccess } from '../../lib/access/route-access';
import { failedEventsOf, type DeployedFunction } from '../../lib/functions/catalogue-functions';
import { STREAM_READ_ACTIONS } from '../../lib/functions/triggers/table-stream-source';
import { BUCKET_NOTIFICATIONS_HANDLER_ID } from '../../lib/functions/triggers/s3-notification';
import { ROUTE_UPLOAD_SETTINGS } from '../../lib/functions/upload-environment';
import { BUNDLE_FILE, CITATION_ENGINE_HANDLERS, ONNX_RUNTIME_PACKAGE } from '../../lib/functions/handler-bundling';
import { onnxRuntimeLayerFiles } from '../../lib/functions/onnx-runtime-layer-contents';
import { RouteFunction } from '../../lib/functions/route-function';
import { acknowledgementsIn, nestedTemplateOf, synthesizeMlHub, type SynthesizedMlHub } from './support/synthesize';
import {
  arnOf,
  arnWithSuffix,
  asList,
  iamPatternMatches,
  logicalIdOf,
  referencedId,
  resolveTemplateValue,
  resourceById,
  resourcesOfType,
  statementsOfRole,
  type Resource,
  type Statement,
} from './support/template-views';

const ENDPOINT_PATTERN = 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/mlhub-torch-*';
const TORCH_BACKEND = { kind: 'sagemaker', endpoint: 'mlhub-torch-{model}', content_type: 'application/json' };
const TF_BACKEND = { kind: 'tfserving', url: 'https://tfserving.example.org', model: '{model}' };
const URL_ALLOWLIST = ['https://tfs.example.org/v1', 'http://127.0.0.1:*'];
const ORIGINS = ['https://models.example.org', 'http://localhost:5173'];

/** Given as `cdk deploy -c key=value` gives them: every value a string. */
const OPTIONS = {
  stage: 'test',
  corsOrigins: ORIGINS.join(','),
  modelBackends: JSON.stringify({
    PyTorch: { ...TORCH_BACKEND, sagemakerEndpointArns: [ENDPOINT_PATTERN] },
    TensorFlow: TF_BACKEND,
  }),
  backendUrlAllowlist: URL_ALLOWLIST.join(','),
  logRetentionDays: '30',
  throttleRateLimit: '25',
  throttleBurstLimit: '40',
  // Writes left to the stage-wide throttle, so that a class without a route throttle shows it gets none.
  routeThrottles: JSON.stringify({ predict: { rateLimit: 4, burstLimit: 8 }, upload: { rateLimit: 3, burstLimit: 6 } }),
  noncurrentVersionDays: '14',
  maxBundleBytes: '50GiB',
  maxUnpackedBytes: '64GiB',
  presignSeconds: '600',
  predictReservedConcurrency: '3',
  finalizerReservedConcurrency: '2',
  // Writes left unlimited, so that a function whose routes are all writes shows it holds no counter grant.
  rateLimits: 'read=100/60s,predict=30/1m,upload=20/60s',
};

/**
 * The functions that count their callers' requests under OPTIONS.rateLimits, with the limits
 * each is told: its routes' classes (createModel's are writes, unlimited here; the seed's image
 * forms it hands on are counted by the predict function). Written out by hand, independently of
 * lib/access.
 */
const COUNTING: Readonly<Record<string, string>> = {
  listModels: 'read=100/60s', getModel: 'read=100/60s', getVersion: 'read=100/60s', getDeployment: 'read=100/60s', citeModel: 'read=100/60s', downloadBundle: 'read=100/60s',
  getAccess: 'read=100/60s', listTokens: 'read=100/60s', getMe: 'read=100/60s',
  predictModel: 'predict=30/60s', predictModelWithGet: 'predict=30/60s',
  uploadBundle: 'upload=20/60s', createUpload: 'upload=20/60s', listUploads: 'upload=20/60s', getUpload: 'upload=20/60s',
  completeUpload: 'upload=20/60s', abortUpload: 'upload=20/60s',
  listDatasets: 'read=100/60s', getDataset: 'read=100/60s',
  createDataset: 'upload=20/60s', getDatasetUpload: 'upload=20/60s', completeDatasetUpload: 'upload=20/60s', abortDatasetUpload: 'upload=20/60s',
  listJobs: 'read=100/60s', getJob: 'read=100/60s', getJobResults: 'read=100/60s',
};

/** The one grant a counting function holds on rate counters: UpdateItem on the table, for keys of their partitions only. */
const RATE_COUNTER_CONDITION = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'RATE#*' } };
const isCounterGrant = (statement: { Condition?: unknown }): boolean => JSON.stringify(statement.Condition ?? {}) === JSON.stringify(RATE_COUNTER_CONDITION);
/** A usage counter's UpdateItem may name no attribute but the keys, `kind`, `downloads` and `predictions`. */
const USAGE_COUNTER_CONDITION = { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['PK', 'SK', 'kind', 'downloads', 'predictions'] } };
const isUsageCounterGrant = (statement: { Condition?: unknown }): boolean => JSON.stringify(statement.Condition ?? {}) === JSON.stringify(USAGE_COUNTER_CONDITION);

/** Actions that change nothing; anything else is a write. */
const READ_ACTIONS = new Set(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListMultipartUploadParts', 'sagemaker:InvokeEndpoint']);
const isDataAction = (action: string): boolean => /^(dynamodb|s3|sagemaker):/.test(action);

/** The catalogue functions a bucket notification invokes, and those a schedule does (no other trigger kind is in use yet: test/infra/catalogue-triggers.test.ts builds each). */
const EVENT_SUBSCRIPTIONS = functionsTriggeredBy('s3');
const SCHEDULES = functionsTriggeredBy('schedule');
const QUEUE_READERS = functionsTriggeredBy('queue');
const STREAM_READERS = functionsTriggeredBy('table-stream');

let synth: SynthesizedMlHub;
let ids: { table: string; bucket: string; logBucket: string; api: string; userPool: string; userPoolClient: string };
let bundleDir: string;
/** A sample of handlers bundled by bench/support/handler-bundles.ts, to compare with the deployed assets. */
let rebuilt: Map<string, HandlerBundle>;
const REBUILT_SAMPLE = ['predict-model', CITATION_ENGINE_HANDLERS[0] as string, 'get-status'];

/** A deployed function's bundled code, as the synth wrote its asset. */
function deployedCode(routeFunction: RouteFunction): string {
  const key = String((functionResource(routeFunction).Properties.Code as { S3Key: string }).S3Key);
  return readFileSync(join(synth.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`, BUNDLE_FILE), 'utf8');
}

const functionOf = (routeId: string): RouteFunction => {
  const routeFunction = synth.stack.functions.byRoute.get(routeId);
  if (!routeFunction) throw new Error(`no function for ${routeId}`);
  return routeFunction;
};
const eventFunctionOf = (subscriptionId: string): Extract<DeployedFunction, { kind: 's3' }> => synth.stack.catalogueFunctions.of(subscriptionId, 's3');
const scheduledFunctionOf = (scheduleId: string): Extract<DeployedFunction, { kind: 'schedule' }> => synth.stack.catalogueFunctions.of(scheduleId, 'schedule');
const queueFunctionOf = (functionId: string): Extract<DeployedFunction, { kind: 'queue' }> => synth.stack.catalogueFunctions.of(functionId, 'queue');
const streamFunctionOf = (functionId: string): Extract<DeployedFunction, { kind: 'table-stream' }> => synth.stack.catalogueFunctions.of(functionId, 'table-stream');
/** A function's resource, in the stack's template or (the job state machine's tasks) in its nested stack's. */
const functionResource = (routeFunction: RouteFunction): Resource => {
  const holder = Stack.of(routeFunction);
  return resourceById(holder === synth.stack ? synth.template : nestedTemplateOf(synth, holder as NestedStack), logicalIdOf(routeFunction.function));
};
/** A grant on the SageMaker resources MLHub deploys (lib/functions/sagemaker-deploy.ts DEPLOY_ACCESS), held apart from ROUTE_ACCESS's data and tested under "deploying to SageMaker". */
const isDeployGrant = (statement: Statement): boolean => JSON.stringify(statement.Resource).includes(`/${DEFAULT_DEPLOY_PREFIX}*`);
const dataStatements = (routeFunction: RouteFunction): Statement[] =>
  statementsOfRole(synth.template, logicalIdOf(routeFunction.role)).filter((statement) => asList(statement.Action).some(isDataAction) && !isDeployGrant(statement));
const dataActions = (routeFunction: RouteFunction): string[] => dataStatements(routeFunction).flatMap((statement) => asList(statement.Action));

/** `action on resource [if condition]` pairs, comparable across the template and the expectation. */
const grantPairs = (statements: readonly { actions: readonly string[]; resources: readonly unknown[]; condition?: unknown }[]): string[] =>
  statements.flatMap(({ actions, resources, condition }) => actions.flatMap((action) => resources.map((resource) =>
    `${action} on ${JSON.stringify(resource)}${condition === undefined ? '' : ` if ${JSON.stringify(condition)}`}`))).sort();

/** A role's data grants, as grantPairs. */
const dataGrantPairs = (routeFunction: RouteFunction): string[] =>
  grantPairs(dataStatements(routeFunction).map((statement) => ({ actions: asList(statement.Action), resources: asList(statement.Resource), condition: statement.Condition })));

/** Every function the stack builds from the route table and the function catalogue, and the fallback. */
const allHandlerFunctions = (): [string, RouteFunction][] => [
  ...ROUTES.map((route) => [route.id, functionOf(route.id)] as [string, RouteFunction]),
  ['fallback', synth.stack.functions.fallback],
  ...EVENT_SUBSCRIPTIONS.map((subscription) => [subscription.id, eventFunctionOf(subscription.id).handler] as [string, RouteFunction]),
  ...SCHEDULES.map((schedule) => [schedule.id, scheduledFunctionOf(schedule.id).handler] as [string, RouteFunction]),
  ...QUEUE_READERS.map((reader) => [reader.id, queueFunctionOf(reader.id).handler] as [string, RouteFunction]),
  ...STREAM_READERS.map((reader) => [reader.id, streamFunctionOf(reader.id).handler] as [string, RouteFunction]),
];

const apiRoutes = () => Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route'));

/** The function a route's integration invokes. */
function functionBehind(route: Resource): string | undefined {
  const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
  const integration = resourceById(synth.template, target['Fn::Join'][1][1].Ref);
  return referencedId(integration.Properties.IntegrationUri);
}

beforeAll(async () => {
  synth = synthesizeMlHub({ options: OPTIONS });
  ids = {
    table: logicalIdOf(synth.stack.storage.table),
    bucket: logicalIdOf(synth.stack.storage.bundleBucket),
    logBucket: logicalIdOf(synth.stack.storage.accessLogBucket),
    api: logicalIdOf(synth.stack.httpApi.api),
    userPool: logicalIdOf(synth.stack.identity.userPool as NonNullable<typeof synth.stack.identity.userPool>),
    userPoolClient: logicalIdOf(synth.stack.identity.userPoolClient as NonNullable<typeof synth.stack.identity.userPoolClient>),
  };
  // The deployed code is the synth's own assets; the bundle builder of the handler-bundle test and
  // the benchmarks is run again on a sample of handlers only, to show it builds the same bytes: one
  // handler that requires the engine, one with the citation engine apart, and a plain one. Every
  // handler is built with the same options, so a sample shows any difference.
  bundleDir = await mkdtemp(join(tmpdir(), 'mlhub-stack-bundles-'));
  rebuilt = new Map((await bundleHandlers(REBUILT_SAMPLE, bundleDir)).map((bundle) => [bundle.handler, bundle]));
  // Every handler is bundled, the job state machine's three included: 240 s ran out on two busy shared cores (268 s on a calmer run).
}, 600_000);

afterAll(async () => {
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

describe('routes and functions', () => {
  it('gives every route in the route table an API route to a function of its own', () => {
    const seen = new Set<string>();
    for (const route of ROUTES) {
      for (const method of routeMethods(route)) {
        const matching = apiRoutes().filter((candidate) => candidate.Properties.RouteKey === `${method} ${route.path}`);
        expect(matching, `${method} ${route.path}`).toHaveLength(1);
        const target = functionBehind(matching[0] as Resource);
        expect(target).toBe(logicalIdOf(functionOf(route.id).function));
        seen.add(target as string);
      }
    }
    expect(seen.size).toBe(ROUTES.length);
    expect(seen.has(logicalIdOf(synth.stack.functions.fallback.function))).toBe(false);
  });

  it('routes nothing else: a preflight or a wrong method on a known path, and any unknown path, reach the fallback', () => {
    const paths = [...new Set(ROUTES.map((route) => route.path))];
    const expected = [
      ...ROUTES.flatMap((route) => routeMethods(route).map((method) => `${method} ${route.path}`)),
      ...paths.map((path) => `ANY ${path}`),
      '$default',
    ];
    expect(apiRoutes().map((route) => route.Properties.RouteKey).sort()).toEqual(expected.sort());
    const fallback = logicalIdOf(synth.stack.functions.fallback.function);
    for (const route of apiRoutes().filter((candidate) => /^(ANY |\$default)/.test(String(candidate.Properties.RouteKey)))) {
      expect(functionBehind(route), String(route.Properties.RouteKey)).toBe(fallback);
    }
    // One per route, the fallback, one per storage event subscription, schedule, queue and stream reader, and CDK's bucket notifications handler.
    expect(Object.keys(resourcesOfType(synth.template, 'AWS::Lambda::Function'))).toHaveLength(ROUTES.length + 1 + EVENT_SUBSCRIPTIONS.length + SCHEDULES.length + QUEUE_READERS.length + STREAM_READERS.length + 1);
  });

  it.each(ROUTES.map((route) => [route.id, route] as const))('%s runs with its route table memory and timeout, on arm64 Node.js, traced, logging JSON', (routeId, route: RouteSpec) => {
    const properties = functionResource(functionOf(routeId)).Properties;
    expect(properties.MemorySize).toBe(route.memoryMb);
    expect(properties.Timeout).toBe(route.timeoutSeconds);
    // 2 s under API Gateway's 30 s, for the cold start's init, so the caller gets MLHub's answer.
    expect(properties.Timeout).toBeLessThanOrEqual(28);
    expect(properties.Runtime).toBe('nodejs24.x');
    expect(properties.Architectures).toEqual(['arm64']);
    expect(properties.Handler).toBe('index.handler');
    expect(properties.TracingConfig).toEqual({ Mode: 'Active' });
    const logging = properties.LoggingConfig as { LogFormat: string; LogGroup: unknown };
    expect(logging.LogFormat).toBe('JSON');
    expect(resourceById(synth.template, referencedId(logging.LogGroup) as string).Properties.RetentionInDays).toBe(30);
  });

  it('tells every route function where the data is and the CORS origins, and the fallback only the origins', () => {
    for (const route of ROUTES) {
      const variables = (functionResource(functionOf(route.id)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[CONFIG_ENV.table]).toEqual({ Ref: ids.table });
      expect(variables[CONFIG_ENV.bucket]).toEqual({ Ref: ids.bucket });
      // Path-style addressing is for local S3 servers only.
      expect(variables[CONFIG_ENV.s3ForcePathStyle]).toBeUndefined();
      expect(String(variables.NODE_OPTIONS)).toContain('--enable-source-maps');
      expect(loadCorsOrigins({ [CORS_ENV]: String(variables[CORS_ENV]) })).toEqual(ORIGINS);
    }
    const fallback = (functionResource(synth.stack.functions.fallback).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(fallback).sort()).toEqual([CORS_ENV, 'NODE_OPTIONS']);
    expect(loadCorsOrigins({ [CORS_ENV]: String(fallback[CORS_ENV]) })).toEqual(ORIGINS);
  });

  it('deploys each handler bundled as minified ESM with the AWS SDK inside and an external, sources-free source map', () => {
    const deployed = [
      ...ROUTES.map((route) => [functionOf(route.id), route.handler] as const),
      [synth.stack.functions.fallback, 'not-routed'] as const,
      ...EVENT_SUBSCRIPTIONS.map((subscription) => [eventFunctionOf(subscription.id).handler, subscription.handler] as const),
      ...SCHEDULES.map((schedule) => [scheduledFunctionOf(schedule.id).handler, schedule.handler] as const),
      ...QUEUE_READERS.map((reader) => [queueFunctionOf(reader.id).handler, reader.handler] as const),
      ...STREAM_READERS.map((reader) => [streamFunctionOf(reader.id).handler, reader.handler] as const),
      // The job state machine's tasks, in the Jobs nested stack (lib/jobs/mlhub-jobs.ts).
      ...functionsTriggeredBy('state-machine-task').map((task) => [synth.stack.jobs.tasks.of(task.id, 'state-machine-task').handler, task.handler] as const),
    ];
    expect([...new Set(deployed.map(([, handler]) => handler))].sort()).toEqual([...DEPLOYED_HANDLERS].sort());
    expect(REBUILT_SAMPLE.every((handler) => deployed.some(([, deployedHandler]) => deployedHandler === handler))).toBe(true);
    for (const [routeFunction, handler] of deployed) {
      const key = String((functionResource(routeFunction).Properties.Code as { S3Key: string }).S3Key);
      const assetDir = join(synth.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
      const code = deployedCode(routeFunction);
      // Byte for byte what the bundle test and the benchmark build: the options are the same.
      const sample = rebuilt.get(handler);
      if (sample) expect(code === readFileSync(sample.file, 'utf8'), handler).toBe(true);
      // An external map, with mappings only: what stack traces need, and no copy of the sources.
      const map = JSON.parse(readFileSync(join(assetDir, `${BUNDLE_FILE}.map`), 'utf8')) as { mappings: string; sourcesContent?: unknown };
      expect(map.mappings.length).toBeGreaterThan(0);
      expect(map.sourcesContent).toBeUndefined();
      expect(code).not.toMatch(/from\s*["']@(aws-sdk|smithy)\//);
      // Minified: no indentation, no line per statement.
      expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    }
  });
});

describe('least privilege', () => {
  /** The template form of each access target, condition included, written out independently of lib/access. */
  const expectedScope = (target: AccessTarget): { resources: unknown[]; condition?: unknown } => {
    const byTarget: Record<AccessTarget, { resources: unknown[]; condition?: unknown }> = {
      table: { resources: [arnOf(ids.table)] },
      byOwnerIndex: { resources: [arnWithSuffix(ids.table, `/index/${TABLE_DESIGN.indexes.byOwner.indexName}`)] },
      publicModelsIndex: { resources: [arnWithSuffix(ids.table, `/index/${TABLE_DESIGN.indexes.publicModels.indexName}`)] },
      bundleRootListing: { resources: [arnOf(ids.bucket)], condition: { StringEquals: { 's3:prefix': 'models/' } } },
      bundleListing: { resources: [arnOf(ids.bucket)], condition: { StringLike: { 's3:prefix': 'models/*/' } } },
      bundleKeyLookup: { resources: [arnOf(ids.bucket)] },
      bundleObjects: { resources: [arnWithSuffix(ids.bucket, '/models/*/*')] },
      searchObjects: { resources: [arnWithSuffix(ids.bucket, '/search/*')] },
      datasetObjects: { resources: [arnWithSuffix(ids.bucket, '/datasets/*')] },
      datasetListing: { resources: [arnOf(ids.bucket)], condition: { StringLike: { 's3:prefix': 'datasets/*' } } },
      jobObjects: { resources: [arnWithSuffix(ids.bucket, '/jobs/*')] },
      jobListing: { resources: [arnOf(ids.bucket)], condition: { StringLike: { 's3:prefix': 'jobs/*' } } },
      modelEndpoints: { resources: [ENDPOINT_PATTERN] },
      rateLimitCounters: { resources: [arnOf(ids.table)], condition: RATE_COUNTER_CONDITION },
      usageCounters: { resources: [arnOf(ids.table)], condition: USAGE_COUNTER_CONDITION },
      userPool: { resources: [arnOf(ids.userPool)] },
    };
    return byTarget[target];
  };
  const expectedPairs = (accesses: readonly RouteAccess[]): string[] => [...new Set(grantPairs(accesses.flatMap((access) => Object.entries(access)
    .map(([target, actions]) => ({ actions: actions ?? [], ...expectedScope(target as AccessTarget) })))))].sort();

  it.each(ROUTES.map((route) => [route.id, route] as const))('%s holds exactly the data grants ROUTE_ACCESS gives its route, and the rate counters\' if it counts requests', (routeId) => {
    const counting: RouteAccess[] = routeId in COUNTING ? [{ rateLimitCounters: ['dynamodb:UpdateItem'] }] : [];
    expect(dataGrantPairs(functionOf(routeId))).toEqual(expectedPairs([routeAccess(routeId), ...counting]));
  });

  it('lets the functions that count requests update rate counters and nothing else with that grant: keys in RATE# partitions', () => {
    for (const route of ROUTES) {
      const counters = dataStatements(functionOf(route.id)).filter(isCounterGrant);
      expect(counters.map((statement) => [asList(statement.Action), asList(statement.Resource)]), route.id)
        .toEqual(route.id in COUNTING ? [[['dynamodb:UpdateItem'], [arnOf(ids.table)]]] : []);
    }
    expect(iamPatternMatches('RATE#*', 'RATE#user#0b5e2f8a-5d0c-4c6e-9f61-0f3f2c8f9a11')).toBe(true);
    expect(iamPatternMatches('RATE#*', 'MODEL#resnet-50')).toBe(false);
    expect(iamPatternMatches('RATE#*', 'TOKEN#abc')).toBe(false);
  });

  it.each(EVENT_SUBSCRIPTIONS.map((subscription) => [subscription.id]))('the %s event function holds exactly the data grants CATALOGUE_ACCESS gives it', (subscriptionId) => {
    const access = (CATALOGUE_ACCESS as Record<string, RouteAccess | undefined>)[subscriptionId];
    expect(access).toBeDefined();
    expect(dataGrantPairs(eventFunctionOf(subscriptionId).handler)).toEqual(expectedPairs([access as RouteAccess]));
  });

  it.each(SCHEDULES.map((schedule) => [schedule.id]))('the %s scheduled function holds exactly the data grants CATALOGUE_ACCESS gives it', (scheduleId) => {
    const access = (CATALOGUE_ACCESS as Record<string, RouteAccess | undefined>)[scheduleId];
    expect(access).toBeDefined();
    expect(dataGrantPairs(scheduledFunctionOf(scheduleId).handler)).toEqual(expectedPairs([access as RouteAccess]));
  });

  it.each(STREAM_READERS.map((reader) => [reader.id]))('the %s stream function holds exactly the data grants CATALOGUE_ACCESS gives it', (readerId) => {
    const access = (CATALOGUE_ACCESS as Record<string, RouteAccess | undefined>)[readerId];
    expect(access).toBeDefined();
    // Reading the stream itself is the trigger's grant (test/infra/catalogue-triggers.test.ts), on the stream's ARN only.
    const [data, stream] = [false, true].map((onStream) => dataGrantPairs(streamFunctionOf(readerId).handler).filter((pair) => pair.includes('"StreamArn"') === onStream));
    expect(data).toEqual(expectedPairs([access as RouteAccess]));
    expect(stream).toEqual(grantPairs([{ actions: [...STREAM_READ_ACTIONS], resources: [{ 'Fn::GetAtt': [ids.table, 'StreamArn'] }] }]));
  });

  it('gives the fallback no data access at all', () => {
    expect(dataStatements(synth.stack.functions.fallback)).toEqual([]);
  });

  it('grants no data action on a wildcard resource, nor on anything but the table, the bucket and configured endpoints', () => {
    const allowed = new Set([ids.table, ids.bucket]);
    // The SageMaker execution role reads bundles and the scripts assets: test/infra/sagemaker-deploy.test.ts holds it to exactly that.
    const executionPolicy = logicalIdOf(synth.stack.deploy.node.findChild('ExecutionPolicy'));
    const policies = Object.entries(resourcesOfType(synth.template, 'AWS::IAM::Policy')).filter(([logicalId]) => logicalId !== executionPolicy).map(([, policy]) => policy);
    for (const statement of policies.flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)) {
      if (!asList(statement.Action).some(isDataAction) || isDeployGrant(statement)) continue;
      for (const resource of asList(statement.Resource)) {
        expect(resource).not.toBe('*');
        const json = JSON.stringify(resource);
        const target = referencedId(resource) ?? /"Fn::GetAtt":\["([^"]+)"/.exec(json)?.[1];
        expect(target !== undefined ? allowed.has(target) : resource === ENDPOINT_PATTERN, json).toBe(true);
      }
    }
  });

  it('gives GET routes read-only grants, but for the s3:PutObject that the part URLs getUpload signs act with, the deployment state getDeployment and predict record (and the rate and usage counters they count in)', () => {
    const writes = Object.fromEntries(ROUTES.filter((candidate) => candidate.method === 'GET')
      .map((route) => [route.id, dataStatements(functionOf(route.id)).filter((statement) => !isCounterGrant(statement) && !isUsageCounterGrant(statement))
        .flatMap((statement) => asList(statement.Action)).filter((action) => !READ_ACTIONS.has(action))] as const)
      .filter(([, actions]) => actions.length > 0));
    // GET …/deploy, and a prediction (GET …/predict, the seed's curl), record the state SageMaker settled a deployment in (a conditional UpdateItem of the version).
    expect(writes).toEqual({ getUpload: ['s3:PutObject'], getDeployment: ['dynamodb:UpdateItem'], predictModelWithGet: ['dynamodb:UpdateItem'], getDatasetUpload: ['s3:PutObject'] });
  });

  it('lets only the upload, upload session, finalizer, sweep, delete and search indexer functions write to S3', () => {
    const writesToS3 = (routeFunction: RouteFunction) => dataActions(routeFunction).some((action) => action.startsWith('s3:') && !READ_ACTIONS.has(action));
    const writers = allHandlerFunctions().filter(([, routeFunction]) => writesToS3(routeFunction)).map(([id]) => id);
    expect(writers.sort()).toEqual(['abortDatasetUpload', 'abortUpload', 'completeDatasetUpload', 'completeUpload', 'createDataset', 'createUpload', 'deleteDataset', 'deleteModel', 'deleteVersion', 'finalizeDataset', 'finalizeUpload', 'getDatasetUpload', 'getUpload', 'indexModels', 'sweepVersions', 'uploadBundle']);
  });

  it('scopes object grants to bundle keys, and listing to the bundle prefix', () => {
    const objectPattern = `/${BUNDLE_OBJECTS_PATTERN}`;
    expect(iamPatternMatches(objectPattern, `/${newBundleKey('resnet-50', 12)}`)).toBe(true);
    expect(iamPatternMatches(objectPattern, '/staging/resnet-50/1/bundle.tar.gz')).toBe(false);
    expect(iamPatternMatches(objectPattern, '/models')).toBe(false);
    const listing = dataStatements(functionOf('deleteModel')).find((statement) => asList(statement.Action).includes('s3:ListBucket'));
    const prefix = (listing?.Condition as { StringLike: { 's3:prefix': string } }).StringLike['s3:prefix'];
    expect(iamPatternMatches(prefix, modelPrefix('resnet-50'))).toBe(true);
    expect(iamPatternMatches(prefix, '')).toBe(false);
    // Listing with no condition only where a missing bundle must answer 404 to HeadObject.
    const unconditioned = allHandlerFunctions().filter(([, routeFunction]) => dataStatements(routeFunction)
      .some((statement) => asList(statement.Action).includes('s3:ListBucket') && statement.Condition === undefined)).map(([id]) => id);
    expect(unconditioned.sort()).toEqual(['completeDatasetUpload', 'completeUpload', 'finalizeDataset', 'finalizeUpload', 'getDatasetUpload', 'getUpload', 'sweepVersions', 'uploadBundle']);
    // The search index's objects are their own pattern, which no bundle key matches.
    expect(iamPatternMatches(`/${SEARCH_OBJECTS_PATTERN}`, '/search/current.json')).toBe(true);
    expect(iamPatternMatches(`/${SEARCH_OBJECTS_PATTERN}`, `/${newBundleKey('resnet-50', 12)}`)).toBe(false);
    expect(iamPatternMatches(objectPattern, '/search/current.json')).toBe(false);
  });

  it('lets the status probe list exactly the bundle root, which is the prefix its ping asks for', async () => {
    const [listing, ...others] = dataStatements(functionOf('getStatus')).filter((statement) => asList(statement.Action).includes('s3:ListBucket'));
    expect(others).toEqual([]);
    expect(listing?.Resource).toEqual(arnOf(ids.bucket));
    expect(listing?.Condition).toEqual({ StringEquals: { 's3:prefix': BUNDLE_ROOT } });
    // What the deployed probe sends must be what the grant allows.
    const sent: Record<string, unknown>[] = [];
    const client = { send: async (command: { input: Record<string, unknown> }) => { sent.push(command.input); return {}; } };
    await new S3BundleStore(client as unknown as S3Client, 'bucket').ping();
    expect(sent).toEqual([expect.objectContaining({ Prefix: BUNDLE_ROOT, MaxKeys: 0 })]);
    // Only the status probe lists the bundle root; the delete sweep lists within one model.
    const rootListers = ROUTES.filter((route) => dataStatements(functionOf(route.id)).some((statement) => asList(statement.Action).includes('s3:ListBucket') && JSON.stringify(statement.Condition ?? {}).includes('"StringEquals"')));
    expect(rootListers.map((route) => route.id)).toEqual(['getStatus']);
  });

  it('allows sagemaker:InvokeEndpoint only on configured endpoints, and only to routes that ask for them', () => {
    for (const route of ROUTES) {
      const invoke = dataStatements(functionOf(route.id)).filter((statement) => asList(statement.Action).includes('sagemaker:InvokeEndpoint'));
      const wanted = (routeAccess(route.id).modelEndpoints ?? []).length > 0;
      expect(invoke.flatMap((statement) => asList(statement.Resource)), route.id).toEqual(wanted ? [ENDPOINT_PATTERN] : []);
    }
  });

  it('limits each execution role to its own log group and X-Ray (an event function\'s also to its failed-event queue, createModel\'s to invoking the predict function, an authenticating route\'s to asking the user pool), with no managed policies', () => {
    const deployedFunctions = [...synth.stack.catalogueFunctions.byId.values()];
    // Lambda sends a failed event to its queue; a queue reader's dead letters are moved by SQS, so it only consumes its own queue.
    const failedEventQueues = new Map(deployedFunctions.filter((deployed) => deployed.kind !== 'queue').map((deployed) => [deployed.handler, failedEventsOf(deployed)]));
    const consumedQueues = new Map(deployedFunctions.flatMap((deployed) => (deployed.kind === 'queue' ? [[deployed.handler, deployed.queue] as const] : [])));
    const createModel = functionOf('createModel');
    for (const [id, routeFunction] of allHandlerFunctions()) {
      const role = resourceById(synth.template, logicalIdOf(routeFunction.role));
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
      const other = statementsOfRole(synth.template, logicalIdOf(routeFunction.role)).filter((statement) => !asList(statement.Action).some(isDataAction) && !isDeployGrant(statement));
      const pairs = grantPairs(other.map((statement) => ({ actions: asList(statement.Action), resources: asList(statement.Resource) })));
      const queue = failedEventQueues.get(routeFunction);
      expect(pairs, id).toEqual(grantPairs([
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [arnOf(logicalIdOf(routeFunction.logGroup))] },
        { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
        ...(queue ? [{ actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], resources: [arnOf(logicalIdOf(queue))] }] : []),
        ...(consumedQueues.has(routeFunction) ? [{ actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], resources: [arnOf(logicalIdOf(consumedQueues.get(routeFunction) as Queue))] }] : []),
        ...(routeFunction === createModel ? [{ actions: ['lambda:InvokeFunction'], resources: [arnOf(logicalIdOf(functionOf('predictModel').function))] }] : []),
        // Deploying passes the one SageMaker execution role (to SageMaker only: test/infra/sagemaker-deploy.test.ts).
        ...(id === 'deployVersion' ? [{ actions: ['iam:PassRole'], resources: [arnOf(logicalIdOf(synth.stack.deploy.executionRole))] }] : []),
        ...(ROUTES.some((route) => route.id === id && route.auth !== 'none') ? [{ actions: ['cognito-idp:AdminGetUser'], resources: [arnOf(ids.userPool)] }] : []),
        // Starting and stopping batch jobs' executions of the job state machine (test/infra/job-state-machine.test.ts).
        ...(id === 'createJob' ? [{ actions: ['states:StartExecution'], resources: [{ 'Fn::GetAtt': [logicalIdOf(synth.stack.jobs.nestedStackResource as never), jobStateMachineOutput()] }] }] : []),
        ...(id === 'cancelJob' ? [{ actions: ['states:StopExecution'], resources: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:MlHub-test-jobs:*']] }] }] : []),
      ]));
    }
  });
});

/** The Jobs nested stack's output that gives the job state machine's ARN (`Outputs.<name>`). */
function jobStateMachineOutput(): string {
  const outputs = (nestedTemplateOf(synth, synth.stack.jobs).toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
  const machine = logicalIdOf(synth.stack.jobs.jobStateMachine.stateMachine);
  const [name, ...others] = Object.entries(outputs).filter(([, output]) => JSON.stringify(output.Value) === JSON.stringify({ Ref: machine })).map(([outputName]) => outputName);
  expect(others).toEqual([]);
  return `Outputs.${name}`;
}

/** The environment variables of a Lambda function resource. */
const variablesOf = (resource: Resource): Record<string, unknown> => (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('upload sessions', () => {
  const objects = (actions: string[]) => ({ actions, resources: [arnWithSuffix(ids.bucket, '/models/*/*')] });
  const table = (actions: string[]) => ({ actions, resources: [arnOf(ids.table)] });
  const datasetObjects = (actions: string[]) => ({ actions, resources: [arnWithSuffix(ids.bucket, '/datasets/*')] });
  /** Listing with no prefix condition: what makes S3 answer 404, not 403, to a HeadObject for a bundle not yet there. */
  const keyLookup = () => ({ actions: ['s3:ListBucket'], resources: [arnOf(ids.bucket)] });

  /**
   * What VersionFinalizer.finalize needs wherever it runs: single-item reads and conditional
   * updates, a HeadObject, the pinned read of a versioned object, and the empty marker a refused
   * bundle's key is retired with.
   */
  const finalizer = () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem']), objects(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject']), keyLookup()];

  /** Written out call by call (lib/access/route-access.ts explains each), independently of ROUTE_ACCESS. */
  const EXPECTED: Record<string, () => Parameters<typeof grantPairs>[0]> = {
    createUpload: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']), objects(['s3:PutObject'])],
    listUploads: () => [table(['dynamodb:GetItem', 'dynamodb:Query'])],
    getUpload: () => [table(['dynamodb:GetItem']), objects(['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts']), keyLookup()],
    completeUpload: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem']), objects(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:ListMultipartUploadParts']), keyLookup()],
    abortUpload: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem']), objects(['s3:AbortMultipartUpload', 's3:PutObject'])],
    uploadBundle: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']), objects(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject']), keyLookup()],
    // Pinned reads and URLs name the object's version: s3:GetObjectVersion, and never plain s3:GetObject.
    // Each download served counts one use, in the usage counter's attributes only.
    downloadBundle: () => [table(['dynamodb:GetItem']), objects(['s3:GetObjectVersion']), { actions: ['dynamodb:UpdateItem'], resources: [arnOf(ids.table)], condition: USAGE_COUNTER_CONDITION }],
    getVersion: () => [table(['dynamodb:GetItem'])],
    deleteVersion: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query']), objects(['s3:AbortMultipartUpload', 's3:PutObject'])],
    publishVersion: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem'])],
    // The deployment lives on the version item: read, then moved by conditional updates (SageMaker's calls: DEPLOY_ACCESS).
    deployVersion: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem'])],
    getDeployment: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem'])],
    undeployVersion: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem'])],
    // A dataset's upload: the same calls on its own keys (datasets/*); the finalizer also writes the
    // plain copy and the layout, removes them when a check ends otherwise, and drops the pending mark.
    getDatasetUpload: () => [table(['dynamodb:GetItem']), datasetObjects(['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts']), keyLookup()],
    completeDatasetUpload: () => [
      table(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
      datasetObjects(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']), keyLookup(),
    ],
    abortDatasetUpload: () => [table(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']), datasetObjects(['s3:AbortMultipartUpload', 's3:PutObject'])],
  };

  it.each(Object.keys(EXPECTED).map((routeId) => [routeId]))('%s holds exactly the grants its calls and the URLs it signs need (and the rate counters\', if it counts requests)', (routeId) => {
    const counters = routeId in COUNTING ? [{ actions: ['dynamodb:UpdateItem'], resources: [arnOf(ids.table)], condition: RATE_COUNTER_CONDITION }] : [];
    expect(dataGrantPairs(functionOf(routeId))).toEqual(grantPairs([...(EXPECTED[routeId]?.() ?? []), ...counters]));
  });

  it('covers every upload session and version route in the route table', () => {
    const lifecycleRoutes = ROUTES.filter((route) => /\/(uploads|versions)\b/.test(route.path)).map((route) => route.id);
    expect(lifecycleRoutes.sort()).toEqual(Object.keys(EXPECTED).filter((id) => !['downloadBundle', 'uploadBundle'].includes(id)).sort());
  });

  it('lets every function that runs the finalizer do everything it does: completeUpload, uploadBundle, the storage event and the sweep', () => {
    const running = [functionOf('completeUpload'), functionOf('uploadBundle'), eventFunctionOf('finalizeUpload').handler, scheduledFunctionOf('sweepVersions').handler];
    for (const routeFunction of running) expect(dataGrantPairs(routeFunction)).toEqual(expect.arrayContaining(grantPairs(finalizer())));
  });

  it('tells the function that starts uploads the configured size limit, and those that sign URLs (or retire the keys URLs reach) their lifetime; no other function', () => {
    const told = Object.fromEntries(allHandlerFunctions().map(([id, routeFunction]) => {
      const variables = variablesOf(functionResource(routeFunction)) ?? {};
      return [id, [CONFIG_ENV.maxBundleBytes, CONFIG_ENV.presignSeconds].filter((name) => name in variables).map((name) => `${name}=${String(variables[name])}`)];
    }).filter(([, settings]) => (settings as string[]).length > 0));
    expect(told).toEqual({
      createUpload: [`${CONFIG_ENV.maxBundleBytes}=${50 * 1024 ** 3}`, `${CONFIG_ENV.presignSeconds}=600`],
      getUpload: [`${CONFIG_ENV.presignSeconds}=600`],
      downloadBundle: [`${CONFIG_ENV.presignSeconds}=600`],
      deleteModel: [`${CONFIG_ENV.presignSeconds}=600`],
      createDataset: [`${CONFIG_ENV.maxBundleBytes}=${50 * 1024 ** 3}`, `${CONFIG_ENV.presignSeconds}=600`],
      getDatasetUpload: [`${CONFIG_ENV.presignSeconds}=600`],
      getJobResults: [`${CONFIG_ENV.presignSeconds}=600`],
    });
  });

  it('tells every function that checks bundles, and the one that starts uploads, the configured unpacked limit; no other function', () => {
    const told = allHandlerFunctions().filter(([, routeFunction]) => CONFIG_ENV.maxUnpackedBytes in variablesOf(functionResource(routeFunction)));
    expect(told.map(([id]) => id).sort()).toEqual(['completeUpload', 'createDataset', 'createUpload', 'finalizeUpload', 'sweepVersions', 'uploadBundle']);
    for (const [id, routeFunction] of told) expect(variablesOf(functionResource(routeFunction))[CONFIG_ENV.maxUnpackedBytes], id).toBe(String(64 * 1024 ** 3));
  });

  it('tells every function that checks bundles or shows versions how many bytes of model files the predict functions hold, as the predict functions are told', () => {
    const predictCache = variablesOf(functionResource(functionOf('predictModel')))[INFERENCE_ENV.modelCacheBytes];
    expect(predictCache).toBe(String(3 * 1024 ** 3));
    const told = allHandlerFunctions().filter(([, routeFunction]) => CONFIG_ENV.builtinModelBytes in variablesOf(functionResource(routeFunction)));
    expect(told.map(([id]) => id).sort()).toEqual(['completeUpload', 'deleteVersion', 'finalizeUpload', 'getModel', 'getVersion', 'predictModel', 'predictModelWithGet', 'sweepVersions', 'updateModel', 'uploadBundle']);
    for (const [id, routeFunction] of told) expect(variablesOf(functionResource(routeFunction))[CONFIG_ENV.builtinModelBytes], id).toBe(predictCache);
  });

  it('names only routes that exist in its table of who reads the upload settings', () => {
    for (const routeId of Object.keys(ROUTE_UPLOAD_SETTINGS)) expect(ROUTES.map((route) => route.id), routeId).toContain(routeId);
  });

  it('gives the functions settings that the function configuration reads back', () => {
    const variables = Object.fromEntries(Object.entries(variablesOf(functionResource(functionOf('createUpload')))).filter(([, value]) => typeof value === 'string')) as Record<string, string>;
    const { uploads } = loadFunctionConfig({ ...variables, [CONFIG_ENV.table]: 't', [CONFIG_ENV.bucket]: 'b' });
    expect(uploads).toMatchObject({ maxBundleBytes: 50 * 1024 ** 3, presignSeconds: 600 });
  });
});

describe('reserved concurrency', () => {
  it('reserves the configured executions for each function that predicts and for the finalizer, and for no other function', () => {
    const reserved = Object.fromEntries(allHandlerFunctions()
      .map(([id, routeFunction]) => [id, functionResource(routeFunction).Properties.ReservedConcurrentExecutions])
      .filter(([, value]) => value !== undefined));
    expect(reserved).toEqual({ predictModel: 3, predictModelWithGet: 3, finalizeUpload: 2, indexModels: 1 });
    expect(functionResource(synth.stack.functions.fallback).Properties.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('rate limits', () => {
  const told = () => Object.fromEntries(allHandlerFunctions()
    .map(([id, routeFunction]) => [id, (variablesOf(functionResource(routeFunction)) ?? {})[CONFIG_ENV.rateLimits]] as const)
    .filter(([, value]) => value !== undefined));

  it("tells each function that counts requests the limits of its routes' classes, and no other function anything", () => {
    expect(told()).toEqual(COUNTING);
  });

  it('gives the functions limits that the function configuration reads back', () => {
    expect(loadRateLimitPolicy({ [CONFIG_ENV.rateLimits]: String(told().predictModel) })).toEqual({ predict: { limit: 30, windowSeconds: 60 } });
  });
});

describe('storage events', () => {
  const notificationConfigurations = () => {
    const [resource, ...others] = Object.values(resourcesOfType(synth.template, 'Custom::S3BucketNotifications'));
    expect(others).toEqual([]);
    expect(resource?.Properties.BucketName).toEqual({ Ref: ids.bucket });
    return (resource?.Properties.NotificationConfiguration as { LambdaFunctionConfigurations?: { Events: string[]; Filter: { Key: { FilterRules: { Name: string; Value: string }[] } }; LambdaFunctionArn: unknown }[] }).LambdaFunctionConfigurations ?? [];
  };

  it('builds one function per event subscription, from the event table: its handler, memory and timeout, on arm64 Node.js, traced, logging JSON to its own log group', () => {
    expect([...synth.stack.catalogueFunctions.byId.values()].filter((deployed) => deployed.kind === 's3').map((deployed) => deployed.spec.id).sort()).toEqual(EVENT_SUBSCRIPTIONS.map((subscription) => subscription.id).sort());
    for (const subscription of EVENT_SUBSCRIPTIONS) {
      const { handler } = eventFunctionOf(subscription.id);
      const properties = functionResource(handler).Properties;
      expect(properties).toMatchObject({ MemorySize: subscription.memoryMb, Timeout: subscription.timeoutSeconds, Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' } });
      expect(properties.Runtime).toBe(functionResource(functionOf('getStatus')).Properties.Runtime);
      const logging = properties.LoggingConfig as { LogFormat: string; LogGroup: unknown };
      expect(logging.LogFormat).toBe('JSON');
      expect(referencedId(logging.LogGroup)).toBe(logicalIdOf(handler.logGroup));
      expect(resourceById(synth.template, logicalIdOf(handler.logGroup)).Properties.RetentionInDays).toBe(30);
    }
  });

  it('tells an event function where the data is and nothing about identity: S3 calls it, no user does', () => {
    for (const subscription of EVENT_SUBSCRIPTIONS) {
      const variables = variablesOf(functionResource(eventFunctionOf(subscription.id).handler));
      // Only a function that checks bundles is told their limits (finalizeDataset reads datasets).
      const limits = subscription.checksBundles ? [CONFIG_ENV.maxUnpackedBytes, CONFIG_ENV.builtinModelBytes] : [];
      expect(Object.keys(variables).sort()).toEqual([CONFIG_ENV.bucket, CONFIG_ENV.table, ...limits, 'NODE_OPTIONS'].sort());
      expect(variables[CONFIG_ENV.table]).toEqual({ Ref: ids.table });
      expect(variables[CONFIG_ENV.bucket]).toEqual({ Ref: ids.bucket });
    }
  });

  it('has the bundle bucket notify each subscription\'s function of its events under its prefix and suffix, and nothing else', () => {
    const expected = EVENT_SUBSCRIPTIONS.flatMap(({ id, trigger: subscription }) => subscription.events.map((event) => ({
      Events: [event],
      Filter: { Key: { FilterRules: expect.arrayContaining([{ Name: 'prefix', Value: subscription.prefix }, { Name: 'suffix', Value: subscription.suffix }]) } },
      LambdaFunctionArn: arnOf(logicalIdOf(eventFunctionOf(id).handler.function)),
    })));
    const configurations = notificationConfigurations();
    expect(configurations).toHaveLength(expected.length);
    expect(configurations).toEqual(expected);
    for (const configuration of configurations) expect(configuration.Filter.Key.FilterRules).toHaveLength(2);
  });

  it('sends the finalizer every bundle an upload stores, and nothing else in the bucket', () => {
    const [finalize] = notificationConfigurations();
    const rules = Object.fromEntries((finalize?.Filter.Key.FilterRules ?? []).map((rule) => [rule.Name, rule.Value]));
    const notified = (key: string) => key.startsWith(rules.prefix ?? '') && key.endsWith(rules.suffix ?? '');
    expect(finalize?.Events).toEqual(['s3:ObjectCreated:*']);
    expect(notified(newBundleKey('resnet-50', 12))).toBe(true);
    expect(notified('models/resnet-50/12/other.bin')).toBe(false);
    expect(notified('bundle-bucket/2026-01-01-access-log')).toBe(false);
  });

  it('lets S3 invoke each event function only for the bundle bucket of this account', () => {
    for (const subscription of EVENT_SUBSCRIPTIONS) {
      const functionId = logicalIdOf(eventFunctionOf(subscription.id).handler.function);
      const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter((permission) => referencedId(permission.Properties.FunctionName) === functionId);
      expect(permissions.map((permission) => permission.Properties)).toEqual([{
        Action: 'lambda:InvokeFunction', FunctionName: arnOf(functionId), Principal: 's3.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' }, SourceArn: arnOf(ids.bucket),
      }]);
    }
  });

  // The finalizer fails only on a real fault (a store that does not answer): a check someone else holds is answered quietly, and the sweep finishes what is left.
  it('retries an event whose run failed twice, keeps one up to 6 hours, then leaves it with its error in an encrypted, TLS-only queue for 14 days', () => {
    const configs = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(EVENT_SUBSCRIPTIONS.length + SCHEDULES.length);
    for (const subscription of EVENT_SUBSCRIPTIONS) {
      const { handler, failedEvents } = eventFunctionOf(subscription.id);
      const queueId = logicalIdOf(failedEvents);
      const config = configs.find((candidate) => candidate.Properties.FunctionName && referencedId(candidate.Properties.FunctionName) === logicalIdOf(handler.function));
      expect(config?.Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600, Qualifier: '$LATEST', DestinationConfig: { OnFailure: { Destination: arnOf(queueId) } } });
      const queue = resourceById(synth.template, queueId);
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      expect(queue.DeletionPolicy).toBe('Retain');
      const policy = Object.values(resourcesOfType(synth.template, 'AWS::SQS::QueuePolicy')).find((candidate) => asList(candidate.Properties.Queues as unknown[]).some((ref) => referencedId(ref) === queueId));
      expect((policy?.Properties.PolicyDocument as { Statement: Statement[] }).Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      const output = (synth.template.toJSON().Outputs as Record<string, { Value: unknown }>)[`${subscription.id.charAt(0).toUpperCase()}${subscription.id.slice(1)}FailedEvents`];
      expect(output?.Value).toEqual({ Ref: queueId });
    }
  });

  it('lets CDK\'s bucket notifications handler write the bundle bucket\'s notifications and nothing else, beyond its own logs', () => {
    const handlerRole = synth.stack.node.findChild(BUCKET_NOTIFICATIONS_HANDLER_ID).node.findChild('Role') as IConstruct;
    const statements = statementsOfRole(synth.template, logicalIdOf(handlerRole));
    expect(grantPairs(statements.map((statement) => ({ actions: asList(statement.Action), resources: asList(statement.Resource) }))))
      .toEqual([`s3:PutBucketNotification on ${JSON.stringify(arnOf(ids.bucket))}`]);
    expect(JSON.stringify(resourceById(synth.template, logicalIdOf(handlerRole)).Properties.ManagedPolicyArns)).toContain(':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    const acknowledged = acknowledgementsIn(synth.app).filter((acknowledgement) => acknowledgement.constructPath.startsWith(`${synth.stack.node.path}/${BUCKET_NOTIFICATIONS_HANDLER_ID}`));
    expect(acknowledged.map(({ constructPath, id }) => ({ constructPath, id }))).toEqual([{
      constructPath: handlerRole.node.path,
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    }]);
  });
});

describe('schedules', () => {
  const rules = () => Object.entries(resourcesOfType(synth.template, 'AWS::Events::Rule'));

  it('builds one function per schedule, from the schedule list: its handler, memory and timeout, on arm64 Node.js, traced, logging JSON to its own log group', () => {
    expect([...synth.stack.catalogueFunctions.byId.values()].filter((deployed) => deployed.kind === 'schedule').map((deployed) => deployed.spec.id).sort()).toEqual(SCHEDULES.map((schedule) => schedule.id).sort());
    for (const schedule of SCHEDULES) {
      const { handler } = scheduledFunctionOf(schedule.id);
      const properties = functionResource(handler).Properties;
      expect(properties).toMatchObject({ MemorySize: schedule.memoryMb, Timeout: schedule.timeoutSeconds, Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' } });
      expect(properties.Runtime).toBe(functionResource(functionOf('getStatus')).Properties.Runtime);
      const logging = properties.LoggingConfig as { LogFormat: string; LogGroup: unknown };
      expect(logging.LogFormat).toBe('JSON');
      expect(referencedId(logging.LogGroup)).toBe(logicalIdOf(handler.logGroup));
      expect(resourceById(synth.template, logicalIdOf(handler.logGroup)).Properties.RetentionInDays).toBe(30);
    }
  });

  it('tells a scheduled function where the data is and nothing about identity: a clock calls it, no user does', () => {
    for (const schedule of SCHEDULES) {
      const variables = variablesOf(functionResource(scheduledFunctionOf(schedule.id).handler));
      expect(Object.keys(variables).sort()).toEqual([CONFIG_ENV.bucket, CONFIG_ENV.table, CONFIG_ENV.maxUnpackedBytes, CONFIG_ENV.builtinModelBytes, 'NODE_OPTIONS'].sort());
      expect(variables[CONFIG_ENV.table]).toEqual({ Ref: ids.table });
      expect(variables[CONFIG_ENV.bucket]).toEqual({ Ref: ids.bucket });
    }
  });

  it('runs the pending sweep every 5 minutes, with the whole 15 minutes a Lambda run may take', () => {
    expect(SCHEDULES.find((schedule) => schedule.id === 'sweepVersions')).toMatchObject({ handler: 'sweep-versions', trigger: { rateMinutes: 5 }, timeoutSeconds: 900 });
  });

  it('has one enabled EventBridge rule per schedule, at its rate, whose only target is its function, each delivery tried twice more at most and dropped once the next run is due', () => {
    expect(rules()).toHaveLength(SCHEDULES.length);
    for (const schedule of SCHEDULES) {
      const { handler, rule } = scheduledFunctionOf(schedule.id);
      const properties = resourceById(synth.template, logicalIdOf(rule)).Properties;
      expect(properties.ScheduleExpression).toBe(`rate(${schedule.trigger.rateMinutes} minutes)`);
      expect(properties.State).toBe('ENABLED');
      expect(properties.EventPattern).toBeUndefined();
      expect(properties.Targets).toEqual([expect.objectContaining({
        Arn: arnOf(logicalIdOf(handler.function)),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: schedule.trigger.rateMinutes * 60 },
      })]);
    }
  });

  it('lets EventBridge invoke each scheduled function only for its own rule', () => {
    for (const schedule of SCHEDULES) {
      const { handler, rule } = scheduledFunctionOf(schedule.id);
      const functionId = logicalIdOf(handler.function);
      const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter((permission) => referencedId(permission.Properties.FunctionName) === functionId);
      expect(permissions.map((permission) => permission.Properties)).toEqual([{
        Action: 'lambda:InvokeFunction', FunctionName: arnOf(functionId), Principal: 'events.amazonaws.com', SourceArn: arnOf(logicalIdOf(rule)),
      }]);
    }
  });

  it('never retries a failed run (the next run is the retry) and keeps no failed-event queue: the function\'s Errors metric is the signal', () => {
    const configs = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::EventInvokeConfig'));
    for (const schedule of SCHEDULES) {
      const functionId = logicalIdOf(scheduledFunctionOf(schedule.id).handler.function);
      const config = configs.find((candidate) => referencedId(candidate.Properties.FunctionName) === functionId);
      expect(config?.Properties).toEqual({ FunctionName: { Ref: functionId }, Qualifier: '$LATEST', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: schedule.trigger.rateMinutes * 60 });
    }
  });
});

describe('predictions', () => {
  /** Routes whose handler runs the inference engine: those whose body is prediction input. */
  const predicting = ROUTES.filter((route) => route.body === 'predict');
  const allFunctions = () => [...ROUTES.map((route) => [route.id, functionOf(route.id)] as const), ['fallback', synth.stack.functions.fallback] as const];
  const layerIds = (routeFunction: RouteFunction): string[] => ((functionResource(routeFunction).Properties.Layers ?? []) as unknown[]).map((layer) => referencedId(layer) as string);
  const layers = () => Object.keys(resourcesOfType(synth.template, 'AWS::Lambda::LayerVersion'));

  /** What the engine would read in a deployed predict function, Refs resolved. */
  const deployedInferenceEnvironment = (routeId: string): Record<string, string> => Object.fromEntries(Object.entries(variablesOf(functionResource(functionOf(routeId))))
    .filter(([, value]) => typeof value === 'string') as [string, string][]);

  it('are served by both predict routes only: createModel hands the seed\'s image form to the predict function', () => {
    expect(predicting.map((route) => route.id).sort()).toEqual(['predictModel', 'predictModelWithGet']);
  });

  it('run with the ONNX Runtime layer, and no other function has it', () => {
    const [layerId, ...otherLayers] = layers();
    expect(otherLayers).toEqual([]);
    for (const [id, routeFunction] of allFunctions()) {
      expect(layerIds(routeFunction), id).toEqual(predicting.some((route) => route.id === id) ? [layerId] : []);
    }
  });

  it('get the layer exactly where the bundle leaves onnxruntime-node out, and reach it only through require (ESM import() ignores NODE_PATH)', () => {
    for (const [id, routeFunction] of allFunctions()) {
      const code = deployedCode(routeFunction);
      // A call with the package name as its only argument: the engine's require (minified), not, say, package.json's dependency list.
      const requires = new RegExp(`[\\w$]\\(\\s*["']${ONNX_RUNTIME_PACKAGE}["']\\s*\\)`).test(code);
      expect(requires, `${id} bundle requires ${ONNX_RUNTIME_PACKAGE}`).toBe(layerIds(routeFunction).length > 0);
      expect(code, id).not.toMatch(/import\s*\(\s*["']onnxruntime-node["']\s*\)|from\s*["']onnxruntime-node["']|import\s*["']onnxruntime-node["']/);
    }
  });

  it('build the layer for the functions\' architecture and runtime, holding the pruned package for that architecture', () => {
    const layer = resourceById(synth.template, layers()[0] as string);
    const predictFunction = functionResource(functionOf('predictModel')).Properties;
    expect(layer.Properties.CompatibleArchitectures).toEqual(predictFunction.Architectures);
    expect(layer.Properties.CompatibleRuntimes).toEqual([predictFunction.Runtime]);
    expect(layer.Properties.LicenseInfo).toBe('MIT');
    const key = String((layer.Properties.Content as { S3Key: string }).S3Key);
    const assetDir = join(synth.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
    const expected = onnxRuntimeLayerFiles('arm64');
    for (const file of expected) expect(readFileSync(join(assetDir, file.target)).length, file.target).toBe(readFileSync(file.source).length);
    expect(expected.some((file) => file.target.endsWith('/linux/arm64/onnxruntime_binding.node'))).toBe(true);
  });

  it('have the route table\'s memory and timeout, and gigabytes of /tmp for unpacked models', () => {
    for (const route of ROUTES) {
      const properties = functionResource(functionOf(route.id)).Properties;
      if (!predicting.includes(route)) {
        expect(properties.EphemeralStorage, route.id).toBeUndefined();
        continue;
      }
      expect(properties.MemorySize, route.id).toBeGreaterThanOrEqual(2048);
      expect(properties.Timeout, route.id).toBe(28);
      const { Size } = properties.EphemeralStorage as { Size: number };
      expect(Size, route.id).toBeGreaterThanOrEqual(2048);
      expect(Size, route.id).toBeLessThanOrEqual(10240);
    }
  });

  it('get the inference configuration from the stack options, and no other function does', () => {
    const inferenceNames = [...Object.values(INFERENCE_ENV), ...MODEL_TYPES.map(defaultBackendEnvName)];
    for (const [id, routeFunction] of allFunctions()) {
      const names = Object.keys(variablesOf(functionResource(routeFunction)));
      if (predicting.some((route) => route.id === id)) expect(names, id).toEqual(expect.arrayContaining([INFERENCE_ENV.modelCacheDir, INFERENCE_ENV.allowedBackendUrls]));
      // The functions that check bundles or show versions are told the model cache size too (see 'upload sessions'), and nothing else of inference.
      else expect(names.filter((name) => inferenceNames.includes(name) && name !== CONFIG_ENV.builtinModelBytes), id).toEqual([]);
      // Lambda's own NODE_PATH (with /opt/nodejs/node_modules) must stand.
      expect(names, id).not.toContain('NODE_PATH');
    }
  });

  it('read a configuration the engine accepts: defaults by type, the URL allow-list, the model cache in /tmp, a deadline inside the timeout', () => {
    for (const route of predicting) {
      const config = loadInferenceConfig(deployedInferenceEnvironment(route.id));
      expect(config.defaultBackends, route.id).toEqual({ PyTorch: TORCH_BACKEND, TensorFlow: TF_BACKEND });
      // With the TensorFlow default's server, where each model is served under its own name.
      expect(config.allowedBackendUrls).toEqual([...URL_ALLOWLIST, 'https://tfserving.example.org/v1/models/{model}']);
      // The ARN pattern only grants IAM; the {model} default gives each model the endpoint named after it.
      expect(config.allowedSageMakerEndpoints).toEqual(['mlhub-torch-{model}']);
      expect(config.modelCacheDir.startsWith('/tmp/')).toBe(true);
      expect(config.deadlineMs).toBeLessThan((functionResource(functionOf(route.id)).Properties.Timeout as number) * 1000);
      expect(config.deadlineMs).toBeLessThan(30_000);
      // Room between the deadline and the timeout to answer 504 as JSON.
      expect(config.deadlineMs).toBeLessThanOrEqual((functionResource(functionOf(route.id)).Properties.Timeout as number) * 1000 - 2000);
    }
  });

  it('send a PyTorch model without a backend of its own to an endpoint the function may invoke, and an ONNX one to the built-in runtime', () => {
    const config = loadInferenceConfig(deployedInferenceEnvironment('predictModel'));
    const manifest = { root: '', fileCount: 1, unpackedBytes: 10, files: [{ path: 'model.onnx', size: 10 }] };
    const torch = selectBackend({ name: 'resnet-50', type: 'PyTorch', meta: {} }, manifest, readModelParams(undefined), config);
    expect(torch).toMatchObject({ kind: 'sagemaker', endpoint: 'mlhub-torch-resnet-50' });
    const [invoke] = dataStatements(functionOf('predictModel')).filter((statement) => asList(statement.Action).includes('sagemaker:InvokeEndpoint'));
    const endpointArn = `arn:aws:sagemaker:eu-west-1:123456789012:endpoint/${(torch as { endpoint: string }).endpoint.toLowerCase()}`;
    expect(asList(invoke?.Resource).some((resource) => iamPatternMatches(String(resource), endpointArn))).toBe(true);
    expect(selectBackend({ name: 'mnist', type: 'ONNX', meta: {} }, manifest, readModelParams(undefined), config)).toEqual({ kind: 'onnxruntime' });
  });

  it('leave createModel a small metadata function that hands the seed\'s image form to the predict function: no layer, no inference settings, no bundles or endpoints, and an invoke grant on that one function', () => {
    const pairs = (routeId: string) => grantPairs(dataStatements(functionOf(routeId)).map((statement) => ({ actions: asList(statement.Action), resources: asList(statement.Resource) })));
    expect(pairs('createModel').filter((pair) => /^(s3|sagemaker):/.test(pair))).toEqual([]);
    expect(pairs('predictModel')).toContain(`sagemaker:InvokeEndpoint on ${JSON.stringify(ENDPOINT_PATTERN)}`);
    expect(pairs('predictModel')).toContain(`s3:GetObject on ${JSON.stringify(arnWithSuffix(ids.bucket, `/${BUNDLE_OBJECTS_PATTERN}`))}`);
    // Besides reads, the rate counter's UpdateItem (its condition is checked with the counting functions), and a deployment's settling (UpdateItem, DescribeEndpoint).
    expect(pairs('predictModel').filter((pair) => !/^(dynamodb:GetItem|dynamodb:UpdateItem|dynamodb:Query|s3:GetObject|sagemaker:InvokeEndpoint|sagemaker:DescribeEndpoint) /.test(pair))).toEqual([]);

    const create = functionOf('createModel');
    const properties = functionResource(create).Properties;
    expect(properties.MemorySize).toBe(512);
    expect(properties.Layers).toBeUndefined();
    expect(properties.EphemeralStorage).toBeUndefined();
    const variables = variablesOf(functionResource(create));
    expect(Object.keys(variables).filter((name) => Object.keys(deployedInferenceEnvironment('predictModel')).includes(name) && !(name in variablesOf(functionResource(functionOf('getModel')))))).toEqual([]);
    expect(variables[CONFIG_ENV.predictFunction]).toEqual({ Ref: logicalIdOf(functionOf('predictModel').function) });

    // Whoever may invoke a function: only createModel's role, on the predict function's unqualified ARN, in its own policy.
    const invokers = Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy')).flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement
      .filter((statement) => asList(statement.Action).some((action) => String(action).startsWith('lambda:')))
      .map((statement) => ({ roles: policy.Properties.Roles, actions: asList(statement.Action), resources: asList(statement.Resource) })));
    expect(invokers).toEqual([{ roles: [{ Ref: logicalIdOf(create.role) }], actions: ['lambda:InvokeFunction'], resources: [arnOf(logicalIdOf(functionOf('predictModel').function))] }]);
    // The first image form after a deployment must find the grant in place.
    const dependsOn = (resourceById(synth.template, logicalIdOf(create.function)) as { DependsOn?: string | string[] }).DependsOn ?? [];
    expect(asList(dependsOn)).toEqual(expect.arrayContaining([expect.stringMatching(/InvokesPredict/)]));
  });
});

describe('identity: the stack\'s own Cognito user pool', () => {
  /** What CloudFormation would substitute for each reference a function's environment makes. */
  const DEPLOYED = { 'AWS::Region': 'eu-west-1', 'AWS::URLSuffix': 'amazonaws.com' };
  const deployedRefs = (): Record<string, string> => ({
    ...DEPLOYED,
    [ids.table]: 'mlhub-table',
    [ids.bucket]: 'mlhub-bundles',
    [ids.userPool]: 'eu-west-1_AbCdEf123',
    [ids.userPoolClient]: '4mlhubclientid0000000000',
  });

  it('creates one user pool: email sign-in, verified addresses, required authenticator-app MFA, a strong password policy', () => {
    expect(Object.keys(resourcesOfType(synth.template, 'AWS::Cognito::UserPool'))).toEqual([ids.userPool]);
    const pool = resourceById(synth.template, ids.userPool);
    expect(pool.Properties).toMatchObject({
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      // Only administrators create accounts unless the deployer opens sign-up.
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    const policy = (pool.Properties.Policies as { PasswordPolicy: Record<string, unknown> }).PasswordPolicy;
    expect(policy.MinimumLength).toBeGreaterThanOrEqual(12);
    expect(policy).toMatchObject({ RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true });
    // No SMS: no SNS role, no per-message cost.
    expect(pool.Properties.SmsConfiguration).toBeUndefined();
    expect(Object.keys(resourcesOfType(synth.template, 'AWS::IAM::Role')).filter((id) => id.startsWith(ids.userPool))).toEqual([]);
  });

  it('stays on the Essentials plan without threat protection by default', () => {
    const pool = resourceById(synth.template, ids.userPool);
    expect(pool.Properties.UserPoolTier).toBe('ESSENTIALS');
    expect(pool.Properties.UserPoolAddOns).toBeUndefined();
  });

  it('keeps the user pool, deletion-protected, when the stack is retained: every owner and grant names its users', () => {
    const pool = resourceById(synth.template, ids.userPool);
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(pool.UpdateReplacePolicy).toBe('Retain');
    expect(pool.Properties.DeletionProtection).toBe('ACTIVE');
  });

  it('creates one public app client: no secret, SRP and password sign-in, no hosted-UI flows, hour-long tokens', () => {
    expect(Object.keys(resourcesOfType(synth.template, 'AWS::Cognito::UserPoolClient'))).toEqual([ids.userPoolClient]);
    const client = resourceById(synth.template, ids.userPoolClient);
    expect(client.Properties.UserPoolId).toEqual({ Ref: ids.userPool });
    expect(client.Properties.GenerateSecret).toBe(false);
    expect([...(client.Properties.ExplicitAuthFlows as string[])].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']);
    // Not CDK's default of the implicit and code grants to https://example.com.
    expect(client.Properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(client.Properties.AllowedOAuthFlows).toBeUndefined();
    expect(client.Properties.CallbackURLs).toBeUndefined();
    expect(client.Properties).toMatchObject({
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
      IdTokenValidity: 60,
      AccessTokenValidity: 60,
      RefreshTokenValidity: 30 * 24 * 60,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  it('points every route function at the pool\'s issuer and app client, for ID tokens, users named by sub', () => {
    for (const route of ROUTES) {
      const variables = variablesOf(functionResource(functionOf(route.id)));
      const issuer = variables[IDENTITY_ENV.issuer];
      expect(JSON.stringify(issuer), route.id).toContain(JSON.stringify({ Ref: ids.userPool }));
      expect(resolveTemplateValue(issuer, deployedRefs())).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123');
      expect(variables[IDENTITY_ENV.audience]).toEqual({ Ref: ids.userPoolClient });
      expect(variables[IDENTITY_ENV.tokenUse]).toBe('id');
      // Cognito publishes its keys where the functions look by default, and names users by sub.
      expect(variables[IDENTITY_ENV.jwksUri]).toBeUndefined();
      expect(variables[IDENTITY_ENV.userClaim]).toBeUndefined();
    }
  });

  it('gives the functions an identity configuration under which a Cognito ID token is accepted and its access token refused', async () => {
    const refs = deployedRefs();
    const environment = Object.fromEntries(Object.entries(variablesOf(functionResource(functionOf('createModel'))))
      .filter(([name]) => name !== CONFIG_ENV.predictFunction)
      .map(([name, value]) => [name, resolveTemplateValue(value, refs)]));
    const config = loadIdentityConfig(environment);
    expect(config).toMatchObject({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
      audience: refs[ids.userPoolClient],
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json',
      tokenUse: 'id',
      userClaim: 'sub',
    });
    expect(config.devUser).toBeUndefined();

    // Tokens shaped as Cognito issues them, checked against keys served from here.
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'cognito-test', alg: 'RS256', use: 'sig' };
    const server: Server = createServer((_request, response) => response.end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const verify = createJwtVerifier({ ...config, jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json` });
      const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'cognito-test' })
        .setIssuer(config.issuer as string).setSubject('7c1e9a52-0000-4000-8000-00000000abcd').setIssuedAt().setExpirationTime('1h').sign(privateKey);
      const idToken = await sign({ aud: config.audience, token_use: 'id', email: 'ada@example.org' });
      const accessToken = await sign({ client_id: config.audience, token_use: 'access', scope: 'aws.cognito.signin.user.admin' });
      await expect(verify(idToken)).resolves.toBe('7c1e9a52-0000-4000-8000-00000000abcd');
      await expect(verify(accessToken)).rejects.toThrow(/access token was sent where an id token is needed/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('lets each function that authenticates, and no other, ask the pool whether a token\'s user is enabled: AdminGetUser on the pool\'s ARN, told its id', () => {
    const poolStatements = (routeFunction: RouteFunction) =>
      statementsOfRole(synth.template, logicalIdOf(routeFunction.role)).filter((statement) => asList(statement.Action).some((action) => action.startsWith('cognito-idp:')));
    const authenticating = ROUTES.filter((route) => route.auth !== 'none');
    expect(authenticating.length).toBeGreaterThan(0);
    expect(ROUTES.filter((route) => route.auth === 'none').map((route) => route.id).sort()).toEqual(['getOpenApi', 'getStatus']);
    for (const route of ROUTES) {
      const routeFunction = functionOf(route.id);
      const statements = poolStatements(routeFunction).map((statement) => ({ Effect: statement.Effect, Action: asList(statement.Action), Resource: asList(statement.Resource), Condition: statement.Condition }));
      const pool = variablesOf(functionResource(routeFunction))[IDENTITY_ENV.userPoolId];
      if (route.auth === 'none') {
        expect(statements, route.id).toEqual([]);
        expect(pool, route.id).toBeUndefined();
      } else {
        expect(statements, route.id).toEqual([{ Effect: 'Allow', Action: ['cognito-idp:AdminGetUser'], Resource: [arnOf(ids.userPool)], Condition: undefined }]);
        expect(pool, route.id).toEqual({ Ref: ids.userPool });
      }
    }
    for (const [id, handler] of allHandlerFunctions().filter(([id]) => !ROUTES.some((route) => route.id === id))) {
      expect(poolStatements(handler), id).toEqual([]);
      expect(variablesOf(functionResource(handler))[IDENTITY_ENV.userPoolId], id).toBeUndefined();
    }
    // Nowhere in the template is any other Cognito action granted, or on any other resource.
    const everyPoolGrant = Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('cognito-idp:')));
    expect(everyPoolGrant).toHaveLength(authenticating.length);
    expect(new Set(everyPoolGrant.map((statement) => JSON.stringify([asList(statement.Action), asList(statement.Resource)])))).toEqual(new Set([JSON.stringify([['cognito-idp:AdminGetUser'], [arnOf(ids.userPool)]])]));
  });

  it('never puts a function into single-user development mode', () => {
    // The job state machine's tasks are in the Jobs nested stack.
    const functions = [synth.template, nestedTemplateOf(synth, synth.stack.jobs)].flatMap((template) => Object.values(resourcesOfType(template, 'AWS::Lambda::Function')));
    expect(functions).toHaveLength(ROUTES.length + 1 + EVENT_SUBSCRIPTIONS.length + SCHEDULES.length + QUEUE_READERS.length + STREAM_READERS.length + 1 + functionsTriggeredBy('state-machine-task').length);
    // CDK's bucket notifications handler has no environment at all.
    for (const resource of functions) expect(Object.keys((resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})).not.toContain(IDENTITY_ENV.devUser);
  });

  it('refuses to build a function whose environment holds the development user', () => {
    const stack = new Stack(new App(), 'DevUserGuard');
    expect(() => new RouteFunction(stack, 'Leaky', {
      handler: 'get-status',
      description: 'must not build',
      memoryMb: 128,
      timeoutSeconds: 3,
      environment: { [IDENTITY_ENV.devUser]: 'local' },
      dataAccess: [],
      logRetention: 30,
      removalPolicy: RemovalPolicy.DESTROY,
    })).toThrow(/MLHUB_DEV_USER is the local runtime's single-user mode/);
  });

  it('outputs the issuer, the user pool id and the app client id', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(resolveTemplateValue(outputs.OidcIssuer?.Value, deployedRefs())).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123');
    expect(outputs.UserPoolId?.Value).toEqual({ Ref: ids.userPool });
    expect(outputs.UserPoolClientId?.Value).toEqual({ Ref: ids.userPoolClient });
  });
});

describe('storage', () => {
  it('keeps metadata in an on-demand, recoverable, encrypted, deletion-protected table built from the table design', () => {
    const table = resourceById(synth.template, ids.table);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      KeySchema: [{ AttributeName: TABLE_DESIGN.partitionKey, KeyType: 'HASH' }, { AttributeName: TABLE_DESIGN.sortKey, KeyType: 'RANGE' }],
    });
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(ALL_INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' }, { AttributeName: index.sortKey, KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'ALL' },
    })));
    for (const attribute of table.Properties.AttributeDefinitions as { AttributeType: string }[]) expect(attribute.AttributeType).toBe('S');
  });

  it('gives the table a stream with both images, since the search indexer reads it (test/infra/catalogue-triggers.test.ts: none while no function does)', () => {
    expect(functionsTriggeredBy('table-stream').map((fn) => fn.id)).toEqual(['indexModels']);
    expect(resourceById(synth.template, ids.table).Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('feeds the search indexer every change of a model\'s items, and only those, one batch at a time per shard, at most a second old, with partial batch failures', () => {
    const { handler, failedEvents } = streamFunctionOf('indexModels');
    const mappings = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::EventSourceMapping'))
      .filter((mapping) => JSON.stringify(mapping.Properties.FunctionName).includes(logicalIdOf(handler.function)));
    expect(mappings).toHaveLength(1);
    const properties = mappings[0]?.Properties ?? {};
    expect(properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [ids.table, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: arnOf(logicalIdOf(failedEvents)) } },
    });
    // Written out as Lambda's filter syntax: the model partitions, never the search log the indexer itself writes.
    const filters = (properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((filter) => JSON.parse(filter.Pattern) as unknown);
    expect(filters).toEqual([{ eventName: ['INSERT', 'MODIFY', 'REMOVE'], dynamodb: { Keys: { PK: { S: [{ prefix: 'MODEL#' }] } } } }]);
    expect(functionResource(handler).Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('lets DynamoDB expire personal access tokens by the attribute the token store writes', async () => {
    const { AttributeName, Enabled } = resourceById(synth.template, ids.table).Properties.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean };
    expect(Enabled).toBe(true);
    const written: Record<string, unknown>[] = [];
    const client = { send: async (command: { input: { Item: Record<string, unknown> } }) => written.push(command.input.Item) };
    const expiresAt = '2031-05-04T03:02:01.000Z';
    await new DynamoTokenStore(client as unknown as DynamoDBDocumentClient, 'table').put({
      id: 'abc', user: 'ada', name: 'laptop', scope: 'read', secretHash: 'hash', createdAt: '2031-01-01T00:00:00.000Z', expiresAt,
    });
    expect(written[0]?.[AttributeName]).toBe(Date.parse(expiresAt) / 1000);
  });

  it('keeps bundles in a versioned, encrypted, private, retained bucket with access logging', () => {
    const bucket = resourceById(synth.template, ids.bucket);
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: ids.logBucket } },
    });
  });

  it('lets the configured origins, and never null, PUT bundles and parts and GET downloads on presigned URLs with the headers browsers send, and read ETags; nothing else', () => {
    const [rule, ...others] = (resourceById(synth.template, ids.bucket).Properties.CorsConfiguration as { CorsRules: Record<string, unknown>[] }).CorsRules;
    expect(others).toEqual([]);
    expect(rule?.AllowedOrigins).toEqual(ORIGINS);
    expect([...(rule?.AllowedMethods as string[])].sort()).toEqual(['GET', 'HEAD', 'PUT']);
    // What a browser adds to a presigned PUT (a single PUT's signed If-None-Match, a Blob's type) and to a ranged GET; no wildcard.
    expect([...(rule?.AllowedHeaders as string[])].sort()).toEqual(['content-type', 'if-none-match', 'range']);
    expect(rule?.ExposedHeaders).toEqual([...BUNDLE_BUCKET_CORS.exposedHeaders]);
    expect(rule?.ExposedHeaders).toContain('ETag');
    expect(rule?.MaxAge).toBe(3600);
  });

  it('expires the S3 access logs after the configured log retention, and keeps nothing else there for ever', () => {
    const rules = (resourceById(synth.template, ids.logBucket).Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toEqual([expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 30 })]);
    expect(rules[0]?.Prefix).toBeUndefined();
    expect(rules[0]?.Filter).toBeUndefined();
  });

  it('aborts incomplete multipart uploads after a day, never before an upload session expires, and expires noncurrent versions after the configured days', () => {
    const rules = (resourceById(synth.template, ids.bucket).Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    const abort = rules.filter((rule) => rule.AbortIncompleteMultipartUpload !== undefined);
    expect(abort).toEqual([expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })]);
    // For the whole bucket: no prefix or filter narrows it.
    expect(abort[0]?.Prefix).toBeUndefined();
    expect(abort[0]?.Filter).toBeUndefined();
    // S3 aborts at the first midnight (UTC) at least that many days after initiation: never inside an open session.
    const { sessionSeconds } = loadFunctionConfig({ [CONFIG_ENV.table]: 't', [CONFIG_ENV.bucket]: 'b' }).uploads;
    expect(sessionSeconds).toBeLessThanOrEqual((abort[0]?.AbortIncompleteMultipartUpload as { DaysAfterInitiation: number }).DaysAfterInitiation * 24 * 3600);
    expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 14 } }));
    // The search snapshots' old versions go after a day (S3 applies the earlier of two expirations).
    expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', Prefix: 'search/', NoncurrentVersionExpiration: { NoncurrentDays: 1 } }));
  });

  it('refuses plain HTTP on both buckets, and lets only S3 logging write to the log bucket', () => {
    for (const bucketId of [ids.bucket, ids.logBucket]) {
      const policy = Object.values(resourcesOfType(synth.template, 'AWS::S3::BucketPolicy')).find((candidate) => referencedId(candidate.Properties.Bucket) === bucketId);
      const statements = (policy?.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      const allows = statements.filter((statement) => statement.Effect === 'Allow');
      if (bucketId === ids.bucket) expect(allows).toEqual([]);
      else expect(allows.map((statement) => (statement as unknown as { Principal: unknown }).Principal)).toEqual([{ Service: 'logging.s3.amazonaws.com' }]);
    }
    const logBucket = resourceById(synth.template, ids.logBucket);
    expect(logBucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });
});

describe('HTTP API', () => {
  it('throttles the stage as configured and writes JSON access logs to a log group with the configured retention', () => {
    const [stage, ...others] = Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Stage'));
    expect(others).toEqual([]);
    expect(stage?.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 40 } });
    const logs = stage?.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(resourceById(synth.template, referencedId(logs.DestinationArn) as string).Properties.RetentionInDays).toBe(30);
    expect(JSON.parse(logs.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status', routeKey: '$context.routeKey' });
  });

  it('leaves CORS to the functions: no CORS configuration on the API, preflights on every path to the fallback (ANY: no route takes OPTIONS), open to anyone', () => {
    // With one, API Gateway would drop the CORS headers the functions return.
    expect(resourceById(synth.template, ids.api).Properties.CorsConfiguration).toBeUndefined();
    const fallback = logicalIdOf(synth.stack.functions.fallback.function);
    expect(ROUTES.filter((route) => (route.method as string) === 'OPTIONS')).toEqual([]);
    for (const path of new Set(ROUTES.map((route) => route.path))) {
      const any = apiRoutes().filter((route) => route.Properties.RouteKey === `ANY ${path}`);
      expect(any, path).toHaveLength(1);
      expect(functionBehind(any[0] as Resource)).toBe(fallback);
      // A preflight carries no credentials (Fetch standard): an authorizer would refuse every one.
      expect(any[0]?.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    }
  });

  it('throttles the routes of each configured class in the stage, each method of the route, and leaves the other routes to the stage-wide throttle', () => {
    const [stage] = Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Stage'));
    const settings = stage?.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    const expected: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of ROUTES) {
      const limit = { predict: { ThrottlingRateLimit: 4, ThrottlingBurstLimit: 8 }, upload: { ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 } }[rateClassOf(route.id) as string];
      if (limit) for (const method of routeMethods(route)) expected[`${method} ${route.path}`] = limit;
    }
    expect(settings).toEqual(expected);
    expect(settings['POST /model/{name}/predict']).toEqual({ ThrottlingRateLimit: 4, ThrottlingBurstLimit: 8 });
    expect(settings['GET /model/{name}/predict']).toEqual({ ThrottlingRateLimit: 4, ThrottlingBurstLimit: 8 });
    expect(settings['POST /model/{name}/uploads']).toEqual({ ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 });
    expect(settings['GET /models']).toBeUndefined();
    expect(settings['PUT /model/{name}']).toBeUndefined();
    // Every key names a route of the API: API Gateway refuses settings for a route it does not have, and the stage is made after them.
    const routesByKey = new Map(apiRoutes().map((route) => [String(route.Properties.RouteKey), route]));
    const dependsOn = asList((stage as unknown as { DependsOn?: string[] }).DependsOn);
    for (const key of Object.keys(settings)) {
      expect(routesByKey.has(key), key).toBe(true);
      const routeId = Object.entries(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route')).find(([, route]) => route.Properties.RouteKey === key)?.[0];
      expect(dependsOn, key).toContain(routeId);
    }
  });

  it('throttles predict, upload and write routes by default, and none with routeThrottles off', () => {
    const defaults = synthesizeMlHub({ options: { ...OPTIONS, routeThrottles: '' }, bundling: false });
    const [stage] = Object.values(resourcesOfType(defaults.template, 'AWS::ApiGatewayV2::Stage'));
    const settings = stage?.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number }>;
    expect(settings['POST /model/{name}/predict']?.ThrottlingRateLimit).toBe(10);
    expect(settings['POST /model/{name}/uploads']?.ThrottlingRateLimit).toBe(10);
    expect(settings['PUT /model/{name}']?.ThrottlingRateLimit).toBe(25);
    expect(settings['GET /models']).toBeUndefined();
    const off = synthesizeMlHub({ options: { ...OPTIONS, routeThrottles: 'off' }, bundling: false });
    const [offStage] = Object.values(resourcesOfType(off.template, 'AWS::ApiGatewayV2::Stage'));
    expect(offStage?.Properties.RouteSettings).toBeUndefined();
  }, 120_000);

  it('invokes every function with the payload format 2.0 event', () => {
    for (const integration of Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Integration'))) {
      expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
  });

  it('outputs the API URL, the table name and the bucket name', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(ids.api);
    expect(outputs.TableName?.Value).toEqual({ Ref: ids.table });
    expect(outputs.BundleBucketName?.Value).toEqual({ Ref: ids.bucket });
  });
});

describe('cdk-nag AwsSolutions', () => {
  /** Every finding the rules make, as if nothing were acknowledged. */
  function rawFindings(): { rule: string; path: string }[] {
    const pack = new AwsSolutionsChecks();
    // A test-only override of cdk-nag's private check, to see what the acknowledgements cover.
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    return pack.validateScope(synth.app).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({ rule: violation.ruleName, path: resource.constructPath ?? '' })));
  }

  const covers = (acknowledgement: { constructPath: string; id: string }, finding: { rule: string; path: string }): boolean =>
    acknowledgement.id === finding.rule && (finding.path === acknowledgement.constructPath || finding.path.startsWith(`${acknowledgement.constructPath}/`));

  it('leaves no finding unacknowledged', () => {
    expect(synth.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
    const acknowledgements = acknowledgementsIn(synth.app);
    const uncovered = rawFindings().filter((finding) => !acknowledgements.some((acknowledgement) => covers(acknowledgement, finding)));
    expect(uncovered).toEqual([]);
  });

  it('acknowledges only findings that exist, each where it arises, with its detail and a reason', () => {
    const findings = rawFindings();
    expect(findings.length).toBeGreaterThan(0);
    for (const acknowledgement of acknowledgementsIn(synth.app)) {
      expect(findings.some((finding) => covers(acknowledgement, finding)), `${acknowledgement.id} at ${acknowledgement.constructPath} matches no finding`).toBe(true);
      expect(acknowledgement.constructPath.split('/').length, `${acknowledgement.id} is acknowledged too broadly`).toBeGreaterThan(2);
      if (acknowledgement.id.startsWith('AwsSolutions-IAM')) expect(acknowledgement.id).toMatch(/\[.+\]$/);
      expect(acknowledgement.reason.length).toBeGreaterThan(40);
    }
  });
});
