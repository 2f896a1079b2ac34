import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEPLOY_PREFIX, DEPLOY_ENV } from '../../functions/frameworks/deploy-settings';
import { ROUTES } from '../../functions/routes/route-table';
import { DEPLOY_ACCESS, SageMakerDeploy } from '../../lib/functions/sagemaker-deploy';
import { synthesizeMlHub, type SynthesizedMlHub } from './support/synthesize';
import { arnOf, asList, logicalIdOf, resourceById, statementsOfRole, type Statement } from './support/template-views';

const OPTIONS = { stage: 'test', endpointMaxMemoryMb: '4096', endpointMaxConcurrency: '3', endpointsPerModel: '1', endpointsPerUser: '7', endpointPickles: 'true' };

let synth: SynthesizedMlHub;
let roleId: string;

/** The ARN pattern of MLHub's SageMaker resources of one kind, as the template writes it. */
const prefixed = (kind: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${kind}/${DEFAULT_DEPLOY_PREFIX}*`]] });
const statementsOf = (routeId: string): Statement[] => {
  const routeFunction = synth.stack.functions.byRoute.get(routeId);
  if (!routeFunction) throw new Error(`no function for ${routeId}`);
  return statementsOfRole(synth.template, logicalIdOf(routeFunction.role));
};
const sagemakerActions = (routeId: string): string[] =>
  statementsOf(routeId).flatMap((statement) => asList(statement.Action)).filter((action) => action.startsWith('sagemaker:') || action === 'iam:PassRole').sort();

beforeAll(() => {
  synth = synthesizeMlHub({ options: OPTIONS, bundling: false });
  roleId = logicalIdOf(synth.stack.deploy.executionRole);
}, 120_000);

describe('deploying to SageMaker', () => {
  it('has one execution role, for SageMaker alone, reading bundle objects (and scripts archives) and writing its endpoints\' logs, nothing else', () => {
    const role = resourceById(synth.template, roleId);
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({ Version: '2012-10-17', Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }] });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const bucket = logicalIdOf(synth.stack.storage.bundleBucket);
    const logGroups = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:log-group:/aws/sagemaker/Endpoints/${DEFAULT_DEPLOY_PREFIX}*`]] };
    const scripts = [...synth.stack.deploy.scripts.values()].length;
    const [read, logs, ...others] = statementsOfRole(synth.template, roleId);
    expect(others).toEqual([]);
    expect(read).toMatchObject({ Effect: 'Allow', Action: 's3:GetObject' });
    const readable = asList(read?.Resource);
    // CloudFormation's order of the ARNs follows the assets' hashes, so the bundle prefix is looked for, not indexed.
    const bundles = { 'Fn::Join': ['', [arnOf(bucket), '/models/*']] };
    expect(readable).toContainEqual(bundles);
    // One more object per framework whose scripts the stack ships, each an exact key.
    expect(readable).toHaveLength(1 + scripts);
    for (const entry of readable.filter((resource) => JSON.stringify(resource) !== JSON.stringify(bundles))) expect(JSON.stringify(entry)).toMatch(/\/[0-9a-f]{64}\.gz"\]\]\}$/);
    expect(logs?.Effect).toBe('Allow');
    expect(asList(logs?.Action).sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
    const streams = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:log-group:/aws/sagemaker/Endpoints/${DEFAULT_DEPLOY_PREFIX}*:log-stream:*`]] };
    expect(asList(logs?.Resource)).toEqual([logGroups, streams]);
  });

  it('lets the deploy function pass that role, to SageMaker only, and no other function pass any role', () => {
    const passes = ROUTES.filter((route) => statementsOf(route.id).some((statement) => asList(statement.Action).includes('iam:PassRole'))).map((route) => route.id);
    expect(passes).toEqual(['deployVersion']);
    const [pass, ...more] = statementsOf('deployVersion').filter((statement) => asList(statement.Action).includes('iam:PassRole'));
    expect(more).toEqual([]);
    expect(pass).toEqual({ Effect: 'Allow', Action: 'iam:PassRole', Resource: arnOf(roleId), Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } });
  });

  it("grants each route exactly its SageMaker actions, on MLHub's prefixed resources only", () => {
    for (const route of ROUTES) {
      const expected = [...((DEPLOY_ACCESS as Readonly<Record<string, readonly string[] | undefined>>)[route.id] ?? []), ...(route.id === 'deployVersion' ? ['iam:PassRole'] : [])].sort();
      expect(sagemakerActions(route.id), route.id).toEqual(expected);
    }
    const resourcesOf = (routeId: string, action: string) => statementsOf(routeId).filter((statement) => asList(statement.Action).includes(action)).flatMap((statement) => asList(statement.Resource));
    const sorted = (resources: unknown[]) => resources.map((resource) => JSON.stringify(resource)).sort();
    expect(sorted(resourcesOf('deployVersion', 'sagemaker:CreateModel'))).toEqual(sorted([prefixed('model'), prefixed('endpoint-config'), prefixed('endpoint')]));
    expect(resourcesOf('getDeployment', 'sagemaker:DescribeEndpoint')).toEqual([prefixed('endpoint')]);
    expect(resourcesOf('predictModel', 'sagemaker:InvokeEndpoint')).toContainEqual(prefixed('endpoint'));
    // Predict settles a deployment still being created or deleted, on MLHub's endpoints alone.
    expect(resourcesOf('predictModel', 'sagemaker:DescribeEndpoint')).toEqual([prefixed('endpoint')]);
  });

  it("tells the deploy function the role, the scripts, the prefix and the operator's limits and pickle decision", () => {
    const variables = (resourceById(synth.template, logicalIdOf(synth.stack.functions.byRoute.get('deployVersion')!.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      [DEPLOY_ENV.roleArn]: arnOf(roleId),
      [DEPLOY_ENV.prefix]: DEFAULT_DEPLOY_PREFIX,
      [DEPLOY_ENV.maxMemoryMb]: '4096',
      [DEPLOY_ENV.maxConcurrency]: '3',
      [DEPLOY_ENV.maxPerModel]: '1',
      [DEPLOY_ENV.maxPerOwner]: '7',
      [DEPLOY_ENV.allowPickles]: '1',
    });
    expect(variables[DEPLOY_ENV.scripts]).toBeDefined();
  });

  it('leaves cdk-nag with no findings', () => {
    expect(synth.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  });
});

describe('the scripts archives', () => {
  let scriptsDir: string;
  beforeAll(async () => {
    scriptsDir = await mkdtemp(join(tmpdir(), 'mlhub-infra-scripts-'));
    for (const folder of ['sklearn', 'xgboost', 'mlhub_serving']) await mkdir(join(scriptsDir, folder));
    await writeFile(join(scriptsDir, 'sklearn', 'inference.py'), 'def model_fn(model_dir): ...\n');
    await writeFile(join(scriptsDir, 'xgboost', 'inference.py'), 'def model_fn(model_dir): ...\n');
    await writeFile(join(scriptsDir, 'mlhub_serving', '__init__.py'), '');
  });
  afterAll(async () => {
    if (scriptsDir) await rm(scriptsDir, { recursive: true, force: true });
  });

  it('are one S3 asset per framework with scripts, readable by the execution role and named to the deploy function', () => {
    const stack = new Stack(new App(), 'Scripts');
    const deploy = new SageMakerDeploy(stack, 'Deploy', { bundleBucket: new Bucket(stack, 'Bundles'), functions: new Map(), maxMemoryMb: 3072, maxConcurrency: 2, perModel: 2, perUser: 5, allowPickles: false, scriptsDir });
    expect([...deploy.scripts.keys()]).toEqual(['sklearn', 'xgboost']);
    const template = Template.fromStack(stack);
    const [read] = statementsOfRole(template, logicalIdOf(deploy.executionRole));
    const objects = asList(read?.Resource).slice(1);
    expect(objects).toHaveLength(2);
    for (const asset of deploy.scripts.values()) {
      expect(asset.s3ObjectKey).toMatch(/\.gz$/); // a gzipped tar, as the framework containers open it
      expect(JSON.stringify(objects)).toContain(stack.resolve(asset.s3ObjectKey) as string);
    }
    // The same scripts make the same archive, so the asset (and the deploy) changes only with them.
    const again = new SageMakerDeploy(new Stack(new App(), 'Again'), 'Deploy', { bundleBucket: new Bucket(stack, 'Other'), functions: new Map(), maxMemoryMb: 3072, maxConcurrency: 2, perModel: 2, perUser: 5, allowPickles: false, scriptsDir });
    expect(again.scripts.get('sklearn')?.assetHash).toBe(deploy.scripts.get('sklearn')?.assetHash);
  });
});
