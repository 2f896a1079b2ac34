import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { optionEnvName, STACK_OPTIONS } from '../../lib/config/stack-config';
import { PROJECT_ROOT } from '../../lib/functions/handler-bundling';
import { createMlHubApp } from '../../lib/mlhub-app';
import { synthesizeMlHub, type SynthesizedMlHub } from './support/synthesize';
import { asList, logicalIdOf, resourceById, resourcesOfType, type Statement } from './support/template-views';

const NO_BUNDLING = { [BUNDLING_STACKS]: [] };

/** The stack with defaults, except that it is disposable. Code assets are not bundled here. */
let synth: SynthesizedMlHub;

beforeAll(() => {
  synth = synthesizeMlHub({ options: { removalPolicy: 'destroy' }, bundling: false });
}, 120_000);

describe('a disposable stack with default options', () => {
  it('is named for the default stage', () => {
    expect(synth.stack.stackName).toBe('MlHub-dev');
  });

  it('deletes its table, buckets and log groups with the stack, and lets the table be deleted', () => {
    const table = resourceById(synth.template, logicalIdOf(synth.stack.storage.table));
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    for (const type of ['AWS::S3::Bucket', 'AWS::Logs::LogGroup']) {
      for (const resource of Object.values(resourcesOfType(synth.template, type))) expect(resource.DeletionPolicy, type).toBe('Delete');
    }
  });

  it('allows no cross-origin browser calls when no origin is configured', () => {
    expect(resourceById(synth.template, logicalIdOf(synth.stack.storage.bundleBucket)).Properties.CorsConfiguration).toBeUndefined();
    expect(resourceById(synth.template, logicalIdOf(synth.stack.httpApi.api)).Properties.CorsConfiguration).toBeUndefined();
  });

  it('grants no SageMaker permission when no endpoint is configured', () => {
    const actions = Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap((statement) => asList(statement.Action));
    expect(actions.filter((action) => action.startsWith('sagemaker:'))).toEqual([]);
  });

  it('keeps logs 90 days, throttles at 50 requests a second (burst 100), and keeps old bundle versions 30 days', () => {
    for (const group of Object.values(resourcesOfType(synth.template, 'AWS::Logs::LogGroup'))) expect(group.Properties.RetentionInDays).toBe(90);
    const [stage] = Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Stage'));
    expect(stage?.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const rules = (resourceById(synth.template, logicalIdOf(synth.stack.storage.bundleBucket)).Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }));
  });

  it('passes cdk-nag as well', () => {
    expect(synth.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  });
});

describe('the MLHub app', () => {
  it('reads options from MLHUB_DEPLOY_* variables, and prefers context to them', () => {
    const { config, stack } = createMlHubApp({
      context: { ...NO_BUNDLING, stage: 'staging' },
      env: { [optionEnvName('stage')]: 'ignored', [optionEnvName('throttleRateLimit')]: '7', [optionEnvName('corsOrigins')]: 'https://c.example.org' },
    });
    expect(config).toMatchObject({ stage: 'staging', throttleRateLimit: 7, corsOrigins: ['https://c.example.org'] });
    expect(stack.stackName).toBe('MlHub-staging');
  });

  it('stops synthesis at an unacknowledged cdk-nag finding', () => {
    const { app, stack } = createMlHubApp({ context: NO_BUNDLING, env: {} });
    new Bucket(stack, 'CarelessBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});

describe('the README deploy guide', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const deploySection = readme.slice(readme.indexOf('## Deploy to AWS'), readme.indexOf('\n## ', readme.indexOf('## Deploy to AWS') + 1));

  it.each(STACK_OPTIONS.map((option) => [option]))('documents the %s option and its environment variable', (option) => {
    expect(deploySection).toContain(`\`${option}\``);
    expect(deploySection).toContain(`\`${optionEnvName(option)}\``);
  });
});
