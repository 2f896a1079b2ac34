/**
 * The batch job state machine as the stack deploys it (lib/jobs/): the Distributed Map over the
 * JSONL manifest with the ResultWriter, MaxConcurrency from jobConcurrency, no tolerated item
 * failure, every task retried with backoff as the local runner retries, and every failure caught
 * into the finalizer; the grants exactly that narrow; cdk-nag at zero in every stack; and each
 * template's resources well under CloudFormation's 500. One synth, without bundling.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_DEFINITIONS } from '../../functions/catalogue/function-catalogue';
import { INFERENCE_ENV } from '../../functions/inference/inference-config';
import { JOB_STATE_MACHINE_ENV } from '../../functions/jobs/job-execution';
import { STEP_ATTEMPTS, STEP_BACKOFF_RATE } from '../../functions/jobs/job-retries';
import { ROUTES } from '../../functions/routes/route-table';
import { PREDICT_EPHEMERAL_STORAGE_MB } from '../../lib/functions/inference-runtime';
import { nestedTemplateOf, synthesizeMlHub, type SynthesizedMlHub } from './support/synthesize';
import { asList, logicalIdOf, resourceById, resourcesOfType, statementsOfRole, type Resource, type Statement } from './support/template-views';

const CONCURRENCY = 7;
const MACHINE_NAME = 'MlHub-jobtest-jobs';

let synth: SynthesizedMlHub;
let jobs: Template;
let operations: Template;
/** The ASL, with each CloudFormation token in it written `<<Ref X>>` or `<<X.Attribute>>`. */
let definition: { StartAt: string; States: Record<string, State> };

interface State {
  readonly Type: string;
  readonly [field: string]: unknown;
}

function placeholder(token: unknown): string {
  const value = token as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (value.Ref) return `<<Ref ${value.Ref}>>`;
  if (value['Fn::GetAtt']) return `<<${value['Fn::GetAtt'][0]}.${value['Fn::GetAtt'][1]}>>`;
  throw new Error(`Unexpected token in the definition: ${JSON.stringify(token)}`);
}

beforeAll(() => {
  synth = synthesizeMlHub({ options: { stage: 'jobtest', jobConcurrency: String(CONCURRENCY), removalPolicy: 'destroy' }, bundling: false });
  jobs = nestedTemplateOf(synth, synth.stack.jobs);
  operations = nestedTemplateOf(synth, synth.stack.operations);
  const [machine, ...others] = Object.values(resourcesOfType(jobs, 'AWS::StepFunctions::StateMachine'));
  expect(others).toEqual([]);
  const parts = ((machine as Resource).Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  definition = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : placeholder(part))).join('')) as typeof definition;
}, 240_000);

const state = (name: string): State => {
  const found = definition.States[name] ?? (definition.States.Chunks?.ItemProcessor as { States: Record<string, State> } | undefined)?.States[name];
  if (!found) throw new Error(`No state ${name}`);
  return found;
};
const functionArn = (id: 'planJob' | 'runJobChunk' | 'finalizeJob'): string => `<<${logicalIdOf(synth.stack.jobs.tasks.of(id, 'state-machine-task').handler.function)}.Arn>>`;

/** The local runner's retries (functions/jobs/job-retries.ts), in Step Functions' terms. */
const RETRY = [{
  ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'States.TaskFailed'],
  IntervalSeconds: 1, MaxAttempts: STEP_ATTEMPTS - 1, BackoffRate: STEP_BACKOFF_RATE,
}];
const TO_FINALIZER = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FinalizeAfterFailure' }];

describe('the job state machine', () => {
  it('plans, then runs the chunks only for a job the plan left running, then finalizes', () => {
    expect(definition.StartAt).toBe('Plan');
    expect(state('Plan')).toMatchObject({ Type: 'Task', Resource: functionArn('planJob'), Parameters: { 'jobId.$': '$.jobId' }, Next: 'Planned' });
    expect(state('Planned')).toEqual({ Type: 'Choice', Choices: [{ Variable: '$.state', StringEquals: 'running', Next: 'MapResultsPrefix' }], Default: 'Finalize' });
    expect(state('MapResultsPrefix')).toMatchObject({ Type: 'Pass', Parameters: { 'prefix.$': "States.Format('jobs/{}/map', $.jobId)" }, ResultPath: '$.map', Next: 'Chunks' });
    expect(state('Chunks').Next).toBe('Finalize');
    expect(state('Finalize')).toMatchObject({ Type: 'Task', Resource: functionArn('finalizeJob'), Parameters: { 'jobId.$': '$.jobId' }, End: true });
  });

  it('runs the chunks in a Distributed Map over the JSONL manifest the plan names, jobConcurrency at once, writing the Map Run results under the job', () => {
    const chunks = state('Chunks');
    expect(chunks).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'RunChunk' },
      ItemReader: { Resource: 'arn:<<Ref AWS::Partition>>:states:::s3:getObject', ReaderConfig: { InputType: 'JSONL' }, Parameters: { 'Bucket.$': '$.manifest.bucket', 'Key.$': '$.manifest.key' } },
      ItemSelector: { 'jobId.$': '$.jobId', 'chunk.$': '$$.Map.Item.Value' },
      MaxConcurrency: CONCURRENCY,
      ResultWriter: { Resource: 'arn:<<Ref AWS::Partition>>:states:::s3:putObject', Parameters: { 'Bucket.$': '$.manifest.bucket', 'Prefix.$': '$.map.prefix' } },
      // The per-item outputs stay in the ResultWriter's files: the state's data stays the plan's ids and keys.
      ResultPath: null,
    });
    // No item may fail (ASL's default, which CDK leaves unwritten): a chunk fails only when even
    // its run as failed rows failed, and then the local runner ends the job too.
    expect(chunks.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(chunks.ToleratedFailureCount).toBeUndefined();
    expect(chunks.ToleratedFailurePercentagePath).toBeUndefined();
  });

  it('runs a chunk that failed every try once more with the error, so its rows count as failed rows', () => {
    expect(state('RunChunk')).toMatchObject({
      Type: 'Task', Resource: functionArn('runJobChunk'), Parameters: { 'jobId.$': '$.jobId', 'chunk.$': '$.chunk' }, End: true,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RunChunkAsFailed' }],
    });
    expect(state('RunChunkAsFailed')).toMatchObject({ Type: 'Task', Resource: functionArn('runJobChunk'), Parameters: { 'jobId.$': '$.jobId', 'chunk.$': '$.chunk', 'failure.$': '$.error.Cause' }, End: true });
    expect(state('RunChunkAsFailed').Catch).toBeUndefined();
  });

  it('retries every task 3 times in all, with backoff, on task failures and Lambda service errors alike', () => {
    const tasks = ['Plan', 'RunChunk', 'RunChunkAsFailed', 'Finalize', 'FinalizeAfterFailure'];
    const all = [...Object.entries(definition.States), ...Object.entries((state('Chunks').ItemProcessor as { States: Record<string, State> }).States)];
    expect(all.filter(([, candidate]) => candidate.Type === 'Task').map(([name]) => name).sort()).toEqual([...tasks].sort());
    for (const name of tasks) expect(state(name).Retry, name).toEqual(RETRY);
  });

  it('catches a failure of the plan, the chunks or the finalizer into the finalizer with the error, which fails the job, and then fails the execution', () => {
    for (const name of ['Plan', 'Chunks', 'Finalize']) expect(state(name).Catch, name).toEqual(TO_FINALIZER);
    expect(state('FinalizeAfterFailure')).toMatchObject({ Resource: functionArn('finalizeJob'), Parameters: { 'jobId.$': '$.jobId', 'failure.$': '$.error.Cause' }, ResultPath: null, Next: 'StepFailedEveryTry' });
    expect(state('StepFailedEveryTry')).toEqual({ Type: 'Fail', Error: 'JobStepFailed', CausePath: '$.error.Cause' });
  });

  it('passes only ids, keys and counts between states (payloads far under 256 KB)', () => {
    const parameters = Object.values(definition.States).concat(Object.values((state('Chunks').ItemProcessor as { States: Record<string, State> }).States))
      .flatMap((candidate) => Object.values((candidate.Parameters ?? {}) as Record<string, string>));
    // jobId to the five tasks, the chunk (one manifest line) to both runs of it, the error's Cause to the two that take a failure.
    expect(parameters.sort()).toEqual(['$.chunk', '$.chunk', '$.error.Cause', '$.error.Cause', '$.jobId', '$.jobId', '$.jobId', '$.jobId', '$.jobId', "States.Format('jobs/{}/map', $.jobId)"].sort());
  });

  it('is a standard state machine, traced, logging every event to its own log group', () => {
    const machine = Object.values(resourcesOfType(jobs, 'AWS::StepFunctions::StateMachine'))[0] as Resource;
    expect(machine.Properties).toMatchObject({ StateMachineName: MACHINE_NAME, StateMachineType: 'STANDARD', TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
    const logGroup = logicalIdOf(synth.stack.jobs.jobStateMachine.logGroup);
    expect(JSON.stringify((machine.Properties.LoggingConfiguration as { Destinations: unknown }).Destinations)).toContain(logGroup);
  });
});

describe('the task functions', () => {
  it.each(['planJob', 'runJobChunk', 'finalizeJob'] as const)('%s is built from its catalogue entry, and watched by an alarm on failures and one on its duration', (id) => {
    const deployed = synth.stack.jobs.tasks.of(id, 'state-machine-task');
    const properties = resourceById(jobs, logicalIdOf(deployed.handler.function)).Properties;
    const entry = FUNCTION_DEFINITIONS[id] as { memoryMb: number; timeoutSeconds: number; layers?: readonly string[] };
    expect(properties).toMatchObject({ MemorySize: entry.memoryMb, Timeout: entry.timeoutSeconds, Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    if (entry.layers?.includes('onnx-runtime')) {
      expect(properties.Layers).toEqual([{ Ref: 'OnnxRuntimeLayerArn' }]);
      expect(properties.EphemeralStorage).toEqual({ Size: PREDICT_EPHEMERAL_STORAGE_MB });
      for (const name of [INFERENCE_ENV.modelCacheDir, INFERENCE_ENV.modelCacheBytes, INFERENCE_ENV.deadlineMs, INFERENCE_ENV.allowedBackendUrls, INFERENCE_ENV.allowedSageMakerEndpoints]) expect(variables, name).toHaveProperty(name);
    } else {
      expect(properties.Layers).toBeUndefined();
      expect(variables).not.toHaveProperty(INFERENCE_ENV.modelCacheDir);
    }
    // A chunk of MLHUB_JOB_CHUNK_ROWS rows ends well inside Lambda's 15 minutes, with room for its retries.
    if (id === 'runJobChunk') expect(entry.timeoutSeconds).toBeLessThanOrEqual(600);
    const alarms = Object.values(resourcesOfType(operations, 'AWS::CloudWatch::Alarm')).map((alarm) => String(alarm.Properties.AlarmDescription));
    expect(alarms.filter((description) => description.startsWith(`${id}: `))).toHaveLength(2);
  });

  it('have exactly the grants the job steps need (JOB_STEP_ACCESS), on the table and bucket the stack passes in', () => {
    const nested = resourceById(synth.template, logicalIdOf(synth.stack.jobs.nestedStackResource as never)).Properties.Parameters;
    expect(nested).toEqual({
      TableName: { Ref: logicalIdOf(synth.stack.storage.table) },
      BundleBucketName: { Ref: logicalIdOf(synth.stack.storage.bundleBucket) },
      OnnxRuntimeLayerArn: { Ref: logicalIdOf(synth.stack.functions.onnxRuntimeLayer?.layerVersion as never) },
    });
    // JOB_STEP_ACCESS (lib/access/route-access.ts), written out here in the template's terms; no
    // SageMaker endpoint is configured in this synth, so no InvokeEndpoint grant at all.
    const table = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/', { Ref: 'TableName' }]] };
    const bucket = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'BundleBucketName' }]] };
    const expected = [
      ...['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'].map((action) => `${action} on ${JSON.stringify(table)}`),
      ...['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'].map((action) => `${action} on ${JSON.stringify(bucketObjects('jobs/*'))}`),
      `s3:ListBucket on ${JSON.stringify(bucket)} if ${JSON.stringify({ StringLike: { 's3:prefix': 'jobs/*' } })}`,
      ...['s3:GetObject', 's3:GetObjectVersion'].map((action) => `${action} on ${JSON.stringify(bucketObjects('datasets/*'))}`),
      `s3:GetObject on ${JSON.stringify(bucketObjects('models/*/*'))}`,
      `s3:ListBucket on ${JSON.stringify(bucket)}`,
    ].sort();
    for (const id of ['planJob', 'runJobChunk', 'finalizeJob'] as const) {
      const role = logicalIdOf(synth.stack.jobs.tasks.of(id, 'state-machine-task').handler.role);
      const grants = statementsOfRole(jobs, role).filter((statement) => asList(statement.Action).some((action) => /^(dynamodb|s3|sagemaker|states):/.test(action)))
        .flatMap((statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((resource) => `${action} on ${JSON.stringify(resource)}${statement.Condition ? ` if ${JSON.stringify(statement.Condition)}` : ''}`)));
      expect(grants.sort(), id).toEqual(expected);
    }
  });
});

/** The template form of `arn:<partition>:s3:::<bucket>/<path>` for the bucket the jobs stack is given. */
const bucketObjects = (path: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'BundleBucketName' }, `/${path}`]] });

describe('least privilege', () => {
  it("lets the state machine's role invoke its three functions (not their versions), read the manifests, write the Map Run results, and nothing more", () => {
    const role = logicalIdOf(synth.stack.jobs.jobStateMachine.stateMachine.role);
    const machine = logicalIdOf(synth.stack.jobs.jobStateMachine.stateMachine);
    const executions = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:', { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: machine }] }] }, suffix]] });
    const pairs = statementsOfRole(jobs, role).flatMap((statement: Statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((resource) => `${action} on ${JSON.stringify(resource)}`))).sort();
    const expected = [
      ...(['planJob', 'runJobChunk', 'finalizeJob'] as const).map((id) => `lambda:InvokeFunction on ${JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(synth.stack.jobs.tasks.of(id, 'state-machine-task').handler.function), 'Arn'] })}`),
      `s3:GetObject on ${JSON.stringify(bucketObjects('jobs/*/manifest.jsonl'))}`,
      ...['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'].map((action) => `${action} on ${JSON.stringify(bucketObjects('jobs/*/map/*'))}`),
      // Log delivery and X-Ray take no resource.
      ...['logs:CreateLogDelivery', 'logs:DeleteLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies', 'logs:GetLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:UpdateLogDelivery',
        'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].map((action) => `${action} on "*"`),
      // The Distributed Map's child executions (AWS's "IAM policies for Distributed Map states").
      `states:StartExecution on ${JSON.stringify({ Ref: machine })}`,
      `states:DescribeExecution on ${JSON.stringify(executions(':*'))}`,
      `states:StopExecution on ${JSON.stringify(executions(':*'))}`,
      `states:RedriveExecution on ${JSON.stringify(executions('/Chunks:*'))}`,
    ].sort();
    expect(pairs).toEqual(expected);
  });

  it('lets createJob start executions of the job state machine only, cancelJob stop its executions only, and no other function touch Step Functions', () => {
    const machineArn = { 'Fn::GetAtt': [logicalIdOf(synth.stack.jobs.nestedStackResource as never), expect.stringMatching(/^Outputs\..*StateMachine.*Ref$/)] };
    const statesGrants = (routeId: string) => statementsOfRole(synth.template, logicalIdOf(synth.stack.functions.byRoute.get(routeId)!.role))
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('states:')));
    expect(statesGrants('createJob')).toEqual([expect.objectContaining({ Action: 'states:StartExecution', Effect: 'Allow', Resource: machineArn })]);
    expect(statesGrants('cancelJob')).toEqual([expect.objectContaining({
      Action: 'states:StopExecution', Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:execution:${MACHINE_NAME}:*`]] },
    })]);
    for (const route of ROUTES.filter((candidate) => candidate.id !== 'createJob' && candidate.id !== 'cancelJob')) expect(statesGrants(route.id), route.id).toEqual([]);
    for (const routeId of ['createJob', 'cancelJob']) {
      const variables = (resourceById(synth.template, logicalIdOf(synth.stack.functions.byRoute.get(routeId)!.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[JOB_STATE_MACHINE_ENV], routeId).toEqual(machineArn);
    }
    // That output is the state machine's ARN.
    const outputName = String(((statesGrants('createJob')[0] as Statement).Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][1]).slice('Outputs.'.length);
    expect((jobs.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs[outputName]?.Value).toEqual({ Ref: logicalIdOf(synth.stack.jobs.jobStateMachine.stateMachine) });
  });
});

describe('the stacks', () => {
  it('pass cdk-nag, nested stacks included, with no finding left', () => {
    expect(synth.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
    // cdk-nag walks the whole construct tree, the nested stacks' resources included.
    expect(synth.stack.jobs.node.findAll().some((construct) => construct.node.path.includes('/Jobs/StateMachine/StateMachine/Role'))).toBe(true);
  });

  it("hold well under CloudFormation's 500 resources each, and nested stacks' parameters under 200", () => {
    const templates = readdirSync(synth.assemblyDir).filter((file) => file.endsWith('.template.json'))
      .map((file) => JSON.parse(readFileSync(join(synth.assemblyDir, file), 'utf8')) as { Resources: object; Parameters?: object });
    expect(templates).toHaveLength(3);
    const counts = templates.map((template) => Object.keys(template.Resources).length);
    expect(Object.keys((synth.template.toJSON() as { Resources: object }).Resources).length).toBeLessThanOrEqual(450);
    for (const count of counts) expect(count).toBeLessThanOrEqual(450);
    for (const template of templates) expect(Object.keys(template.Parameters ?? {}).length).toBeLessThan(200);
    expect(Object.keys((jobs.toJSON() as { Resources: object }).Resources)).toHaveLength(17);
  });
});
