/**
 * Every kind of trigger the function catalogue can name, built by the construct the stack uses,
 * in a small stack of its own (no entry of the real catalogue reads a stream, a queue or a state
 * machine yet): the resources each needs, the grants each gets and no more, and cdk-nag's
 * AwsSolutions rules with no finding left unacknowledged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { BUNDLING_STACKS, VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogueFunction } from '../../functions/catalogue/function-catalogue';
import { INFERENCE_ENV } from '../../functions/inference/inference-config';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import type { RouteAccess } from '../../lib/access/route-access';
import { CatalogueFunctions, type DeployedFunction } from '../../lib/functions/catalogue-functions';
import { inferenceEnvironment, PREDICT_EPHEMERAL_STORAGE_MB } from '../../lib/functions/inference-runtime';
import type { RouteFunction } from '../../lib/functions/route-function';
import { MlHubStorage } from '../../lib/storage/mlhub-storage';
import { CDK_JSON_CONTEXT, type ValidationReport } from './support/synthesize';
import { arnOf, asList, logicalIdOf, resourceById, resourcesOfType, statementsOfRole, type Resource, type Statement } from './support/template-views';

const LAYER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:layer:onnx-runtime:3';
/** What the stack tells the functions that run models (as it tells the predict functions). */
const INFERENCE = { modelBackends: {}, backendUrlAllowlist: ['https://tfs.example.org/v1'], modelEndpointArns: [] };

/** One function of each kind, as later issues' catalogue entries would read (the handler module only has to exist). */
const TEST_FUNCTIONS: readonly CatalogueFunction[] = [
  {
    id: 'indexModels', handler: 'sweep-versions', memoryMb: 512, timeoutSeconds: 60, summary: 'Keeps the search index in step with model records',
    trigger: { kind: 'table-stream', events: ['INSERT', 'MODIFY', 'REMOVE'], keyPrefixes: [{ partitionKey: 'MODEL#', sortKey: 'META' }, { partitionKey: 'DOI#' }], batchSize: 50, retryAttempts: 4 },
  },
  {
    id: 'registerDoi', handler: 'sweep-versions', memoryMb: 256, timeoutSeconds: 30, summary: 'Registers one DOI per message',
    trigger: { kind: 'queue', queue: 'doi-registrations', batchSize: 5, maxReceiveCount: 4, visibilityTimeoutSeconds: 180 },
  },
  {
    id: 'runChunk', handler: 'sweep-versions', memoryMb: 2048, timeoutSeconds: 900, summary: 'Runs one chunk of a batch job', layers: ['onnx-runtime'],
    trigger: { kind: 'state-machine-task' },
  },
  {
    id: 'sweepNightly', handler: 'sweep-versions', memoryMb: 1024, timeoutSeconds: 600, summary: 'A schedule',
    trigger: { kind: 'schedule', rateMinutes: 90 },
  },
  {
    id: 'noticeBundles', handler: 'finalize-upload', memoryMb: 1024, timeoutSeconds: 300, summary: 'A storage event',
    trigger: { kind: 's3', bucket: 'bundle-bucket', events: ['s3:ObjectCreated:*'], prefix: 'models/', suffix: '/bundle.tar.gz' },
  },
];

/** Every function reads one item, so that trigger grants can be told from data grants. */
const TEST_ACCESS: RouteAccess = { table: ['dynamodb:GetItem'] };

interface Built {
  readonly stack: Stack;
  readonly storage: MlHubStorage;
  readonly functions: CatalogueFunctions;
  readonly stateMachineRole: Role;
  readonly otherRole: Role;
  readonly template: Template;
  readonly report: ValidationReport;
}

/**
 * Builds the test stack as the app builds MLHub's: cdk.json's context, cdk-nag on (a finding left
 * unacknowledged makes synthesis throw); the functions' code is not bundled. `extra` adds to the stack.
 */
function build(functions: readonly CatalogueFunction[], options: { readonly tableStream?: boolean; readonly extra?: (stack: Stack) => void } = {}): Built {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, [BUNDLING_STACKS]: [] } });
  const stack = new Stack(app, 'CatalogueTriggers');
  const storage = new MlHubStorage(stack, 'Storage', { removalPolicy: RemovalPolicy.DESTROY, corsOrigins: [], noncurrentVersionDays: 30, tableStream: options.tableStream ?? true });
  const built = new CatalogueFunctions(stack, 'Events', {
    storage, functions, access: () => TEST_ACCESS,
    layers: { 'onnx-runtime': LayerVersion.fromLayerVersionArn(stack, 'OnnxRuntime', LAYER_ARN) },
    inference: INFERENCE,
    logRetention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY,
  });
  const stateMachineRole = new Role(stack, 'StateMachineRole', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
  const otherRole = new Role(stack, 'OtherStateMachineRole', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
  for (const deployed of built.byId.values()) if (deployed.kind === 'state-machine-task') deployed.grantInvoke(stateMachineRole);
  options.extra?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, VALIDATION_REPORT_FILE), 'utf8')) as ValidationReport;
  return { stack, storage, functions: built, stateMachineRole, otherRole, template: Template.fromStack(stack), report };
}

let built: Built;
const deployed = <Kind extends DeployedFunction['kind']>(id: string, kind: Kind) => built.functions.of(id, kind);
const functionResource = (handler: RouteFunction): Resource => resourceById(built.template, logicalIdOf(handler.function));
const mappingsOf = (handler: RouteFunction): Resource[] => Object.values(resourcesOfType(built.template, 'AWS::Lambda::EventSourceMapping'))
  .filter((mapping) => JSON.stringify(mapping.Properties.FunctionName) === JSON.stringify({ Ref: logicalIdOf(handler.function) }));

/** A role's grants beyond its own logs and X-Ray, and beyond the test's data access, as `action on resource` pairs. */
function triggerGrants(role: Role, handler?: RouteFunction): string[] {
  const own = handler ? [JSON.stringify(arnOf(logicalIdOf(handler.logGroup))), '"*"'] : [];
  return statementsOfRole(built.template, logicalIdOf(role))
    .flatMap((statement: Statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((resource) => [action, JSON.stringify(resource)] as const)))
    .filter(([action, resource]) => !(own.includes(resource) && /^(logs|xray):/.test(action)) && action !== 'dynamodb:GetItem')
    .map(([action, resource]) => `${action} on ${resource}`)
    .sort();
}

const pairs = (actions: readonly string[], resource: unknown): string[] => actions.map((action) => `${action} on ${JSON.stringify(resource)}`);

beforeAll(() => {
  built = build(TEST_FUNCTIONS);
}, 120_000);

describe('every trigger kind', () => {
  it('passes cdk-nag with no finding left unacknowledged (and cdk-nag does check this stack: a bare queue beside them fails it)', () => {
    expect(built.report.pluginReports.flatMap((report) => report.violations)).toEqual([]);
    expect(() => build(TEST_FUNCTIONS, { extra: (stack) => new Queue(stack, 'Bare') })).toThrow(/AwsSolutions-SQS3/);
  }, 60_000);

  it.each(TEST_FUNCTIONS.map((fn) => [fn.id, fn] as const))('%s gets its memory, timeout, layers and an environment that says where the data is (and how to run models, if it runs them), and nothing about identity', (id, fn) => {
    const handler = built.functions.byId.get(id)?.handler as RouteFunction;
    const properties = functionResource(handler).Properties;
    expect(properties).toMatchObject({ MemorySize: fn.memoryMb, Timeout: fn.timeoutSeconds, Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    expect(properties.Layers).toEqual(fn.layers ? [LAYER_ARN] : undefined);
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const runsModels = fn.layers?.includes('onnx-runtime') ?? false;
    const inference = runsModels ? Object.keys(inferenceEnvironment({ ...INFERENCE, memoryMb: fn.memoryMb, timeoutSeconds: fn.timeoutSeconds })) : [];
    expect(Object.keys(variables).sort()).toEqual([CONFIG_ENV.bucket, CONFIG_ENV.table, 'NODE_OPTIONS', ...inference].sort());
    expect(String(properties.Description)).toContain(fn.summary);
  });
});

describe('a table-stream trigger', () => {
  it('gives the table a stream with both images, and no table a stream when no function reads one', () => {
    expect(resourceById(built.template, logicalIdOf(built.storage.table)).Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(() => build(TEST_FUNCTIONS.filter((fn) => fn.id === 'indexModels'), { tableStream: false })).toThrow(/reads the table's stream, but the table has none/);
  });

  it('reads the stream through an event source mapping with the trigger\'s filters, batch size and retries, partial batch failures, and an on-failure queue', () => {
    const { handler, failedEvents } = deployed('indexModels', 'table-stream');
    const [mapping, ...others] = mappingsOf(handler);
    expect(others).toEqual([]);
    const properties = mapping?.Properties ?? {};
    expect(properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(built.storage.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 50,
      MaximumRetryAttempts: 4,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: arnOf(logicalIdOf(failedEvents)) } },
    });
    // Written out as Lambda's filter syntax, independently of functions/catalogue/stream-filters.ts.
    const filters = (properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((filter) => JSON.parse(filter.Pattern) as unknown);
    expect(filters).toEqual([
      { eventName: ['INSERT', 'MODIFY', 'REMOVE'], dynamodb: { Keys: { PK: { S: [{ prefix: 'MODEL#' }] }, SK: { S: [{ prefix: 'META' }] } } } },
      { eventName: ['INSERT', 'MODIFY', 'REMOVE'], dynamodb: { Keys: { PK: { S: [{ prefix: 'DOI#' }] } } } },
    ]);
    expect(resourceById(built.template, logicalIdOf(failedEvents)).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('may read this table\'s stream only, and send to its own failed-event queue only', () => {
    const { handler, failedEvents } = deployed('indexModels', 'table-stream');
    expect(triggerGrants(handler.role, handler)).toEqual([
      ...pairs(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'], { 'Fn::GetAtt': [logicalIdOf(built.storage.table), 'StreamArn'] }),
      ...pairs(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], arnOf(logicalIdOf(failedEvents))),
    ].sort());
  });

  it('is created only once its role may read the stream', () => {
    const { handler } = deployed('indexModels', 'table-stream');
    const mappingId = Object.entries(resourcesOfType(built.template, 'AWS::Lambda::EventSourceMapping'))
      .find(([, mapping]) => JSON.stringify(mapping.Properties.FunctionName).includes(logicalIdOf(handler.function)))?.[0] as string;
    const dependsOn = (built.template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources[mappingId]?.DependsOn ?? [];
    expect(dependsOn).toContain(logicalIdOf(handler.role.node.findChild('DefaultPolicy')));
  });

  it('refuses more key prefixes than Lambda takes filters, and no key prefix at all', () => {
    const indexModels = TEST_FUNCTIONS[0] as CatalogueFunction & { trigger: { kind: 'table-stream' } };
    const withPrefixes = (count: number) => [{ ...indexModels, trigger: { ...indexModels.trigger, keyPrefixes: Array.from({ length: count }, (_, i) => ({ partitionKey: `P${i}#` })) } }];
    expect(() => build(withPrefixes(6))).toThrow(/6 key prefixes; Lambda takes at most 5 filters/);
    expect(() => build(withPrefixes(0))).toThrow(/needs at least one key prefix/);
  });
});

describe('a queue trigger', () => {
  it('gets a queue of its own (encrypted, TLS-only) whose messages move to a dead-letter queue after maxReceiveCount receives, and reads it with partial batch failures', () => {
    const { handler, queue, deadLetters } = deployed('registerDoi', 'queue');
    expect(resourceById(built.template, logicalIdOf(queue)).Properties).toMatchObject({
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: arnOf(logicalIdOf(deadLetters)), maxReceiveCount: 4 },
    });
    expect(resourceById(built.template, logicalIdOf(deadLetters)).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const [mapping, ...others] = mappingsOf(handler);
    expect(others).toEqual([]);
    expect(mapping?.Properties).toMatchObject({ EventSourceArn: arnOf(logicalIdOf(queue)), BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    for (const queueId of [logicalIdOf(queue), logicalIdOf(deadLetters)]) {
      const policy = Object.values(resourcesOfType(built.template, 'AWS::SQS::QueuePolicy')).find((candidate) => JSON.stringify(candidate.Properties.Queues).includes(queueId));
      expect((policy?.Properties.PolicyDocument as { Statement: Statement[] }).Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
  });

  it('may consume its own queue only, and never touches the dead-letter queue', () => {
    const { handler, queue } = deployed('registerDoi', 'queue');
    expect(triggerGrants(handler.role, handler)).toEqual(
      pairs(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], arnOf(logicalIdOf(queue))).sort(),
    );
  });

  it('refuses a visibility timeout shorter than the function\'s timeout, a batch larger than 10, and two functions on one queue', () => {
    const registerDoi = TEST_FUNCTIONS[1] as CatalogueFunction & { trigger: { kind: 'queue' } };
    expect(() => build([{ ...registerDoi, trigger: { ...registerDoi.trigger, visibilityTimeoutSeconds: 29 } }])).toThrow(/visibilityTimeoutSeconds must be at least the function's timeout \(30 s\)/);
    expect(() => build([{ ...registerDoi, trigger: { ...registerDoi.trigger, batchSize: 11 } }])).toThrow(/batchSize must be 1 to 10/);
    expect(() => build([registerDoi, { ...registerDoi, id: 'registerDoiAgain' }])).toThrow(/Two catalogue functions read the queue 'doi-registrations'/);
  });
});

describe('a state-machine task', () => {
  it('may be invoked, on its own ARN only, by the state machine roles granted it, and by nothing else', () => {
    const { handler } = deployed('runChunk', 'state-machine-task');
    expect(triggerGrants(built.stateMachineRole)).toEqual(pairs(['lambda:InvokeFunction'], arnOf(logicalIdOf(handler.function))));
    expect(triggerGrants(built.otherRole)).toEqual([]);
    const functionId = logicalIdOf(handler.function);
    expect(Object.values(resourcesOfType(built.template, 'AWS::Lambda::Permission')).filter((permission) => JSON.stringify(permission.Properties.FunctionName).includes(functionId))).toEqual([]);
    expect(mappingsOf(handler)).toEqual([]);
    expect(triggerGrants(handler.role, handler)).toEqual([]);
  });

  it("runs models as the predict functions do: predict's inference configuration for its own memory and timeout, and room in /tmp", () => {
    const { handler } = deployed('runChunk', 'state-machine-task');
    const properties = resourceById(built.template, logicalIdOf(handler.function)).Properties;
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const expected = inferenceEnvironment({ ...INFERENCE, memoryMb: 2048, timeoutSeconds: 900 });
    for (const [name, value] of Object.entries(expected)) expect(variables[name], name).toBe(value);
    expect(variables[INFERENCE_ENV.allowedBackendUrls]).toBe('https://tfs.example.org/v1');
    expect(properties.EphemeralStorage).toEqual({ Size: PREDICT_EPHEMERAL_STORAGE_MB });
    // A function that runs no model is told none of it.
    const { handler: scheduled } = deployed('sweepNightly', 'schedule');
    const plain = (resourceById(built.template, logicalIdOf(scheduled.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(plain).filter((name) => name in expected)).toEqual([]);
  });

  it('refuses building a function that runs models without the inference configuration', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, [BUNDLING_STACKS]: [] } });
    const stack = new Stack(app, 'NoInference');
    const storage = new MlHubStorage(stack, 'Storage', { removalPolicy: RemovalPolicy.DESTROY, corsOrigins: [], noncurrentVersionDays: 30 });
    expect(() => new CatalogueFunctions(stack, 'Events', {
      storage, functions: TEST_FUNCTIONS.filter((fn) => fn.id === 'runChunk'), access: () => TEST_ACCESS,
      layers: { 'onnx-runtime': LayerVersion.fromLayerVersionArn(stack, 'OnnxRuntime', LAYER_ARN) }, logRetention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY,
    })).toThrow(/'runChunk' runs models, and the stack gave no inference configuration/);
  });

  it('refuses a layer the stack was not given', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, [BUNDLING_STACKS]: [] } });
    const stack = new Stack(app, 'NoLayer');
    const storage = new MlHubStorage(stack, 'Storage', { removalPolicy: RemovalPolicy.DESTROY, corsOrigins: [], noncurrentVersionDays: 30 });
    expect(() => new CatalogueFunctions(stack, 'Events', {
      storage, functions: TEST_FUNCTIONS.filter((fn) => fn.id === 'runChunk'), access: () => TEST_ACCESS, logRetention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY,
    })).toThrow(/'runChunk' needs the onnx-runtime layer, which the stack was not given/);
  });
});

describe('schedules and storage events, as the stack builds them', () => {
  it('runs a schedule from an EventBridge rule at its rate, and a storage event from the bucket\'s notification, each allowed only to its own source', () => {
    const { handler: scheduled, rule } = deployed('sweepNightly', 'schedule');
    expect(resourceById(built.template, logicalIdOf(rule)).Properties.ScheduleExpression).toBe('rate(90 minutes)');
    const { handler: notified, failedEvents } = deployed('noticeBundles', 's3');
    const permissionsOf = (handler: RouteFunction) => Object.values(resourcesOfType(built.template, 'AWS::Lambda::Permission'))
      .filter((permission) => JSON.stringify(permission.Properties.FunctionName).includes(logicalIdOf(handler.function)))
      .map((permission) => [permission.Properties.Principal, permission.Properties.SourceArn]);
    expect(permissionsOf(scheduled)).toEqual([['events.amazonaws.com', arnOf(logicalIdOf(rule))]]);
    expect(permissionsOf(notified)).toEqual([['s3.amazonaws.com', arnOf(logicalIdOf(built.storage.bundleBucket))]]);
    expect(triggerGrants(scheduled.role, scheduled)).toEqual([]);
    expect(triggerGrants(notified.role, notified)).toEqual(pairs(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], arnOf(logicalIdOf(failedEvents))).sort());
  });
});
