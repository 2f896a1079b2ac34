import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_ENV } from '../../functions/identity/identity-config';
import { INFERENCE_ENV } from '../../functions/inference/inference-config';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { ROUTES } from '../../functions/routes/route-table';
import { optionEnvName, STACK_OPTIONS, type IdentitySource } from '../../lib/config/stack-config';
import { PROJECT_ROOT } from '../../lib/functions/handler-bundling';
import { failedEventsOf } from '../../lib/functions/catalogue-functions';
import type { RouteFunction } from '../../lib/functions/route-function';
import { MlHubIdentity } from '../../lib/identity/mlhub-identity';
import { createMlHubApp } from '../../lib/mlhub-app';
import { acknowledgementsIn, synthesizeMlHub, type SynthesizedMlHub } from './support/synthesize';
import { asList, logicalIdOf, resourceById, resourcesOfType, type Resource, type Statement } from './support/template-views';
import { DEFAULT_DEPLOY_PREFIX } from '../../functions/frameworks/deploy-settings';

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

  it('deletes its table, buckets, user pool and log groups with the stack, and lets the table and user pool be deleted', () => {
    const table = resourceById(synth.template, logicalIdOf(synth.stack.storage.table));
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    const [pool, ...others] = Object.values(resourcesOfType(synth.template, 'AWS::Cognito::UserPool'));
    expect(others).toEqual([]);
    expect(pool?.DeletionPolicy).toBe('Delete');
    expect(pool?.Properties.DeletionProtection).toBe('INACTIVE');
    for (const type of ['AWS::S3::Bucket', 'AWS::Logs::LogGroup']) {
      for (const resource of Object.values(resourcesOfType(synth.template, type))) expect(resource.DeletionPolicy, type).toBe('Delete');
    }
  });

  it('allows no cross-origin browser calls when no origin is configured', () => {
    expect(resourceById(synth.template, logicalIdOf(synth.stack.storage.bundleBucket)).Properties.CorsConfiguration).toBeUndefined();
    expect(resourceById(synth.template, logicalIdOf(synth.stack.httpApi.api)).Properties.CorsConfiguration).toBeUndefined();
  });

  it("grants no SageMaker permission when no endpoint is configured, but on the endpoints MLHub deploys (test/infra/sagemaker-deploy.test.ts)", () => {
    const actions = Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((statement) => !asList(statement.Resource).every((resource) => JSON.stringify(resource).includes(`/${DEFAULT_DEPLOY_PREFIX}*`)))
      .flatMap((statement) => asList(statement.Action));
    expect(actions.filter((action) => action.startsWith('sagemaker:'))).toEqual([]);
  });

  it('tells the functions that predict that models may name no backend URL and no SageMaker endpoint of their own', () => {
    for (const routeId of ['predictModel', 'predictModelWithGet']) {
      const routeFunction = synth.stack.functions.byRoute.get(routeId) as RouteFunction;
      const variables = (resourceById(synth.template, logicalIdOf(routeFunction.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[INFERENCE_ENV.allowedBackendUrls], routeId).toBe('');
      expect(variables[INFERENCE_ENV.allowedSageMakerEndpoints], routeId).toBe('');
      expect(Object.keys(variables).filter((name) => /^MLHUB_BACKEND_(?!URL_ALLOWLIST)/.test(name)), routeId).toEqual([]);
    }
  });

  it('tells createModel nothing of inference: it hands the seed\'s image form to the predict function', () => {
    const routeFunction = synth.stack.functions.byRoute.get('createModel') as RouteFunction;
    const variables = (resourceById(synth.template, logicalIdOf(routeFunction.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).filter((name) => name.startsWith('MLHUB_BACKEND') || name === INFERENCE_ENV.allowedSageMakerEndpoints)).toEqual([]);
  });

  it('keeps logs 90 days, throttles at 50 requests a second (burst 100), and keeps old bundle versions 30 days', () => {
    for (const group of Object.values(resourcesOfType(synth.template, 'AWS::Logs::LogGroup'))) expect(group.Properties.RetentionInDays).toBe(90);
    const [stage] = Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Stage'));
    expect(stage?.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const rules = (resourceById(synth.template, logicalIdOf(synth.stack.storage.bundleBucket)).Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }));
  });

  it('tells the function that starts uploads a 20 GiB limit (the unpacked limit), and those that sign URLs a 15-minute lifetime', () => {
    const variables = (routeId: string) => (resourceById(synth.template, logicalIdOf((synth.stack.functions.byRoute.get(routeId) as RouteFunction).function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables('createUpload')).toMatchObject({ [CONFIG_ENV.maxBundleBytes]: String(20 * 1024 ** 3), [CONFIG_ENV.maxUnpackedBytes]: String(20 * 1024 ** 3), [CONFIG_ENV.presignSeconds]: '900' });
    for (const routeId of ['getUpload', 'downloadBundle']) {
      expect(variables(routeId)[CONFIG_ENV.presignSeconds], routeId).toBe('900');
      expect(variables(routeId)[CONFIG_ENV.maxBundleBytes], routeId).toBeUndefined();
    }
  });

  it('reserves 10 executions for each function that predicts and 5 for the finalizer', () => {
    const reservedOf = (routeFunction: RouteFunction) => resourceById(synth.template, logicalIdOf(routeFunction.function)).Properties.ReservedConcurrentExecutions;
    for (const routeId of ['predictModel', 'predictModelWithGet']) expect(reservedOf(synth.stack.functions.byRoute.get(routeId) as RouteFunction), routeId).toBe(10);
    expect(reservedOf(synth.stack.catalogueFunctions.of('finalizeUpload', 's3').handler)).toBe(5);
    expect(reservedOf(synth.stack.functions.byRoute.get('getModel') as RouteFunction)).toBeUndefined();
  });

  it('deletes the failed-event queues with the stack too', () => {
    const queues = [...synth.stack.catalogueFunctions.byId.values()].flatMap((deployed) => failedEventsOf(deployed) ?? []);
    expect(queues.length).toBeGreaterThan(0);
    for (const failedEvents of queues) {
      expect(resourceById(synth.template, logicalIdOf(failedEvents)).DeletionPolicy).toBe('Delete');
    }
  });

  it('passes cdk-nag as well', () => {
    expect(synth.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  });
});

/** The environment variables of every route function (the fallback authenticates no one). */
function routeFunctionVariables(synthesized: SynthesizedMlHub): Record<string, unknown>[] {
  return ROUTES.map((route) => {
    const routeFunction = synthesized.stack.functions.byRoute.get(route.id);
    if (!routeFunction) throw new Error(`no function for ${route.id}`);
    const resource: Resource = resourceById(synthesized.template, logicalIdOf(routeFunction.function));
    return (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  });
}

const ORCID = {
  oidcIssuer: 'https://orcid.org',
  oidcAudience: 'APP-ABCDEFGHIJKLMNOP',
  oidcJwksUri: 'https://orcid.org/oauth/jwks',
};

describe('with an external OIDC issuer (ORCID)', () => {
  let orcid: SynthesizedMlHub;

  beforeAll(() => {
    orcid = synthesizeMlHub({ options: ORCID, bundling: false });
  }, 120_000);

  it('creates no Cognito resources at all', () => {
    const cognito = Object.values(orcid.template.toJSON().Resources as Record<string, Resource>).filter((resource) => resource.Type.startsWith('AWS::Cognito::'));
    expect(cognito).toEqual([]);
    expect(orcid.stack.identity.userPool).toBeUndefined();
    expect(orcid.stack.identity.userPoolClient).toBeUndefined();
  });

  it('points every route function at the issuer, its client id and its keys, for ID tokens naming the user by sub', () => {
    const all = routeFunctionVariables(orcid);
    expect(all).toHaveLength(ROUTES.length);
    for (const variables of all) {
      expect(variables[IDENTITY_ENV.issuer]).toBe('https://orcid.org');
      expect(variables[IDENTITY_ENV.audience]).toBe('APP-ABCDEFGHIJKLMNOP');
      expect(variables[IDENTITY_ENV.jwksUri]).toBe('https://orcid.org/oauth/jwks');
      expect(variables[IDENTITY_ENV.tokenUse]).toBe('id');
      expect(variables[IDENTITY_ENV.userClaim]).toBeUndefined();
      expect(variables[IDENTITY_ENV.devUser]).toBeUndefined();
    }
  });

  it('grants no Cognito action and names no user pool: only the offboarding mark applies to its users', () => {
    const grants = Object.values(resourcesOfType(orcid.template, 'AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('cognito-idp:')));
    expect(grants).toEqual([]);
    for (const variables of routeFunctionVariables(orcid)) expect(variables[IDENTITY_ENV.userPoolId]).toBeUndefined();
  });

  it('outputs the issuer, and no user pool or client', () => {
    const outputs = orcid.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.OidcIssuer?.Value).toBe('https://orcid.org');
    expect(outputs.UserPoolId).toBeUndefined();
    expect(outputs.UserPoolClientId).toBeUndefined();
  });

  it('passes cdk-nag with no Cognito acknowledgement left over', () => {
    expect(orcid.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
    expect(acknowledgementsIn(orcid.app).filter((acknowledgement) => acknowledgement.id.startsWith('AwsSolutions-COG'))).toEqual([]);
  });
});

describe('the identity environment functions get', () => {
  const environmentFor = (source: IdentitySource) =>
    new MlHubIdentity(new Stack(new App(), 'IdentityOnly'), 'Identity', { source, removalPolicy: RemovalPolicy.DESTROY }).functionEnvironment;

  it('names a user claim other than sub, and leaves the token use open when any token is accepted', () => {
    expect(environmentFor({ kind: 'external', issuer: 'https://idp.example.org', audience: 'mlhub', jwksUri: undefined, tokenUse: 'any', userClaim: 'cognito:username' })).toEqual({
      [IDENTITY_ENV.issuer]: 'https://idp.example.org',
      [IDENTITY_ENV.audience]: 'mlhub',
      [IDENTITY_ENV.userClaim]: 'cognito:username',
    });
    expect(environmentFor({ kind: 'external', issuer: 'https://idp.example.org', audience: 'mlhub', jwksUri: undefined, tokenUse: 'access', userClaim: 'sub' }))
      .toEqual({ [IDENTITY_ENV.issuer]: 'https://idp.example.org', [IDENTITY_ENV.audience]: 'mlhub', [IDENTITY_ENV.tokenUse]: 'access' });
  });
});

describe('user pool options', () => {
  let open: SynthesizedMlHub;

  beforeAll(() => {
    open = synthesizeMlHub({ options: { userPoolSelfSignUp: 'true', userPoolThreatProtection: 'enforced' }, bundling: false });
  }, 120_000);

  it('lets anyone sign up when asked', () => {
    const [pool] = Object.values(resourcesOfType(open.template, 'AWS::Cognito::UserPool'));
    expect(pool?.Properties.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: false });
  });

  it('moves to the Plus plan with enforced threat protection when asked, and needs no COG8 acknowledgement then', () => {
    const [pool] = Object.values(resourcesOfType(open.template, 'AWS::Cognito::UserPool'));
    expect(pool?.Properties.UserPoolTier).toBe('PLUS');
    expect(pool?.Properties.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
    expect(open.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
    expect(acknowledgementsIn(open.app).map((acknowledgement) => acknowledgement.id)).not.toContain('AwsSolutions-COG8');
  });

  it('acknowledges COG8 on the user pool itself when threat protection is off, and audits when asked', () => {
    const cog8 = acknowledgementsIn(synth.app).filter((acknowledgement) => acknowledgement.id === 'AwsSolutions-COG8');
    expect(cog8.map((acknowledgement) => acknowledgement.constructPath)).toEqual([synth.stack.identity.userPool?.node.path]);
    expect(cog8[0]?.reason).toMatch(/Plus feature plan/);
    const audit = createMlHubApp({ context: { ...NO_BUNDLING, userPoolThreatProtection: 'audit' }, env: {} });
    const auditPool = audit.stack.identity.userPool?.node.defaultChild as { userPoolTier?: string; userPoolAddOns?: unknown };
    expect(auditPool.userPoolTier).toBe('PLUS');
    expect(auditPool.userPoolAddOns).toEqual({ advancedSecurityMode: 'AUDIT' });
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

  it('reads the external issuer from MLHUB_DEPLOY_OIDC_* variables', () => {
    const { config, stack } = createMlHubApp({
      context: NO_BUNDLING,
      env: { MLHUB_DEPLOY_OIDC_ISSUER: 'https://orcid.org', MLHUB_DEPLOY_OIDC_AUDIENCE: 'APP-ABCDEFGHIJKLMNOP', MLHUB_DEPLOY_OIDC_JWKS_URI: 'https://orcid.org/oauth/jwks' },
    });
    expect(config).toMatchObject(ORCID);
    expect(stack.identity.userPool).toBeUndefined();
    expect(stack.identity.functionEnvironment[IDENTITY_ENV.issuer]).toBe('https://orcid.org');
  });

  it('refuses to build a stack from inconsistent identity options, naming the option and its variable', () => {
    expect(() => createMlHubApp({ context: NO_BUNDLING, env: { MLHUB_DEPLOY_OIDC_ISSUER: 'https://orcid.org' } }))
      .toThrow(/Invalid stack option 'oidcAudience' \(context 'oidcAudience' or env MLHUB_DEPLOY_OIDC_AUDIENCE\): is required with oidcIssuer/);
    expect(() => createMlHubApp({ context: { ...NO_BUNDLING, ...ORCID, userPoolSelfSignUp: 'true' }, env: {} }))
      .toThrow(/'userPoolSelfSignUp'.*not created when oidcIssuer is set/);
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

describe('user pool mail', () => {
  const userPoolOf = (sesMail: Extract<IdentitySource, { kind: 'userPool' }>['sesMail']): Resource => {
    const stack = new Stack(new App(), 'IdentityOnly');
    new MlHubIdentity(stack, 'Identity', { source: { kind: 'userPool', selfSignUp: false, threatProtection: 'off', sesMail }, removalPolicy: RemovalPolicy.DESTROY });
    const [pool, ...others] = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPool')) as Resource[];
    expect(others).toEqual([]);
    return pool as Resource;
  };

  it("stays with Cognito's own sender by default", () => {
    const configuration = userPoolOf(undefined).Properties.EmailConfiguration as Record<string, unknown> | undefined;
    expect(configuration?.EmailSendingAccount ?? 'COGNITO_DEFAULT').toBe('COGNITO_DEFAULT');
    expect(configuration?.SourceArn).toBeUndefined();
  });

  it('sends through SES from the verified identity, in the stack\'s region unless another is given', () => {
    expect(userPoolOf({ fromEmail: 'no-reply@mail.example.org', fromName: 'MLHub', verifiedDomain: 'mail.example.org', configurationSet: 'mlhub-mail', region: 'eu-west-1' }).Properties.EmailConfiguration).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: 'MLHub <no-reply@mail.example.org>',
      ConfigurationSet: 'mlhub-mail',
      SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:eu-west-1:', { Ref: 'AWS::AccountId' }, ':identity/mail.example.org']] },
    });
    expect(userPoolOf({ fromEmail: 'no-reply@example.org', fromName: undefined, verifiedDomain: undefined, configurationSet: undefined, region: undefined }).Properties.EmailConfiguration).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: 'no-reply@example.org',
      SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/no-reply@example.org']] },
    });
  });

  it('is configured by the userPoolSes* stack options, and passes cdk-nag', () => {
    const mailed = synthesizeMlHub({ options: { userPoolSesFromEmail: 'no-reply@example.org', userPoolSesRegion: 'us-east-1' }, bundling: false });
    const [pool] = Object.values(resourcesOfType(mailed.template, 'AWS::Cognito::UserPool'));
    expect(pool?.Properties.EmailConfiguration).toMatchObject({ EmailSendingAccount: 'DEVELOPER', From: 'no-reply@example.org' });
    expect(JSON.stringify(pool?.Properties.EmailConfiguration)).toContain(':ses:us-east-1:');
    expect(mailed.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  }, 120_000);
});
