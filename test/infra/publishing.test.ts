/** Publishing with DOIs through DataCite: the doiPrefix and datacite* options, what they tell the functions and allow them. */
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPublishingConfig, PUBLISHING_ENV } from '../../functions/publishing/publishing-config';
import { readStackConfig, type StackOption } from '../../lib/config/stack-config';
import { createMlHubApp } from '../../lib/mlhub-app';
import type { RouteFunction } from '../../lib/functions/route-function';
import { synthesizeMlHub, type SynthesizedMlHub } from './support/synthesize';
import { arnOf, asList, logicalIdOf, resourceById, statementsOfRole, type Statement } from './support/template-views';

const NO_BUNDLING = { [BUNDLING_STACKS]: [] };
const DOI_OPTIONS = { doiPrefix: '10.12345', dataciteRepositoryId: 'ABC.MLHUB', dataciteSecretName: 'mlhub/datacite' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mlhub/datacite-a1B2c3';

const variablesOf = (synth: SynthesizedMlHub, routeFunction: RouteFunction): Record<string, unknown> =>
  (resourceById(synth.template, logicalIdOf(routeFunction.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
const publishingVariables = (variables: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(variables).filter(([name]) => (Object.values(PUBLISHING_ENV) as string[]).includes(name)));
/** A role's statements that send to a queue or read a secret. */
const otherGrants = (synth: SynthesizedMlHub, routeFunction: RouteFunction): Statement[] =>
  statementsOfRole(synth.template, logicalIdOf(routeFunction.role))
    .filter((statement) => asList(statement.Action).some((action) => action === 'sqs:SendMessage' || action.startsWith('secretsmanager:')));
const requesterOf = (synth: SynthesizedMlHub): RouteFunction => synth.stack.functions.byRoute.get('publishVersion') as RouteFunction;
const registrarOf = (synth: SynthesizedMlHub) => synth.stack.catalogueFunctions.of('registerDois', 'queue');
/** The functions that send DOI work besides the publish route: withdrawals, and the sweep's sending again. */
const sendersOf = (synth: SynthesizedMlHub): RouteFunction[] => [
  synth.stack.functions.byRoute.get('deleteVersion') as RouteFunction,
  synth.stack.functions.byRoute.get('deleteModel') as RouteFunction,
  synth.stack.catalogueFunctions.of('sweepVersions', 'schedule').handler,
];
/** The API's base URL as the template writes it (the $default stage's). */
const apiUrlOf = (synth: SynthesizedMlHub) => synth.stack.resolve(synth.stack.httpApi.url) as unknown;

describe('a stack with the DOI options', () => {
  let synth: SynthesizedMlHub;

  beforeAll(() => {
    synth = synthesizeMlHub({ options: DOI_OPTIONS, bundling: false });
  }, 120_000);

  it('tells the publish route and registerDois how to publish through DataCite, the test system by default, and the route the queue', () => {
    const settings = {
      [PUBLISHING_ENV.prefix]: '10.12345',
      [PUBLISHING_ENV.provider]: 'datacite',
      [PUBLISHING_ENV.dataciteEndpoint]: 'https://api.test.datacite.org',
      [PUBLISHING_ENV.dataciteRepositoryId]: 'ABC.MLHUB',
      [PUBLISHING_ENV.dataciteSecretId]: 'mlhub/datacite',
      [PUBLISHING_ENV.publisher]: 'MLHub',
      [PUBLISHING_ENV.landingBaseUrl]: apiUrlOf(synth),
    };
    expect(publishingVariables(variablesOf(synth, registrarOf(synth).handler))).toEqual(settings);
    expect(publishingVariables(variablesOf(synth, requesterOf(synth)))).toEqual({ ...settings, [PUBLISHING_ENV.queueUrl]: { Ref: logicalIdOf(registrarOf(synth).queue) } });
    expect(JSON.stringify(apiUrlOf(synth))).toContain(logicalIdOf(synth.stack.httpApi.api));
  });

  it('tells the cite route the landing pages\' base and the publisher its citations name, and nothing else of publishing', () => {
    const cite = synth.stack.functions.byRoute.get('citeModel') as RouteFunction;
    expect(publishingVariables(variablesOf(synth, cite))).toEqual({ [PUBLISHING_ENV.publisher]: 'MLHub', [PUBLISHING_ENV.landingBaseUrl]: apiUrlOf(synth) });
  });

  it('tells the delete routes and the sweep the queue, and nothing else of publishing: they only send DOI work', () => {
    for (const sender of sendersOf(synth)) {
      expect(publishingVariables(variablesOf(synth, sender)), sender.node.path).toEqual({ [PUBLISHING_ENV.queueUrl]: { Ref: logicalIdOf(registrarOf(synth).queue) } });
    }
  });

  it('tells the functions what the publishing settings parse as DataCite publishing with that prefix (or the route would answer 500)', () => {
    for (const routeFunction of [requesterOf(synth), registrarOf(synth).handler]) {
      const variables = variablesOf(synth, routeFunction);
      const env = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : name === PUBLISHING_ENV.landingBaseUrl ? 'https://abc123.execute-api.eu-west-1.amazonaws.com/' : 'https://sqs.eu-west-1.amazonaws.com/123456789012/queue']));
      expect(loadPublishingConfig(env)).toMatchObject({ prefix: '10.12345', provider: { kind: 'datacite', endpoint: 'https://api.test.datacite.org', repositoryId: 'ABC.MLHUB', secretId: 'mlhub/datacite' }, publisher: 'MLHub' });
    }
    expect(JSON.stringify(apiUrlOf(synth))).toMatch(/execute-api/);
  });

  it('lets the publish route, the delete routes and the sweep send to the registerDois queue only, and registerDois read the secret only', () => {
    const queueArn = arnOf(logicalIdOf(registrarOf(synth).queue));
    for (const sender of [requesterOf(synth), ...sendersOf(synth)]) {
      expect(otherGrants(synth, sender).map((statement) => [asList(statement.Action).sort(), asList(statement.Resource)]), sender.node.path)
        .toEqual([[['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], [queueArn]]]);
    }
    const secretGrants = otherGrants(synth, registrarOf(synth).handler);
    expect(secretGrants.map((statement) => asList(statement.Action).sort())).toEqual([['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']]);
    expect(asList(secretGrants[0]?.Resource)).toEqual([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:mlhub/datacite-??????']] }]);
    // No other function may send to the queue or read a secret.
    const others = [...synth.stack.functions.byRoute.values(), synth.stack.functions.fallback, ...[...synth.stack.catalogueFunctions.byId.values()].map((deployed) => deployed.handler)]
      .filter((routeFunction) => ![requesterOf(synth), registrarOf(synth).handler, ...sendersOf(synth)].includes(routeFunction));
    for (const routeFunction of others) {
      const reaching = otherGrants(synth, routeFunction).filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(queueArn) || asList(statement.Action).some((action) => action.startsWith('secretsmanager:')));
      expect(reaching, routeFunction.node.path).toEqual([]);
    }
  });

  it('starts neither function before its role may send or read the secret (the grants sit in the role\'s default policy)', () => {
    for (const routeFunction of [requesterOf(synth), registrarOf(synth).handler, ...sendersOf(synth)]) {
      const policy = logicalIdOf(routeFunction.role.node.findChild('DefaultPolicy'));
      expect((resourceById(synth.template, logicalIdOf(routeFunction.function)) as { DependsOn?: string[] }).DependsOn, routeFunction.node.path).toContain(policy);
    }
  });

  it('lets registerDois touch the table only as VersionPublishing.register does: GetItem, Query, UpdateItem', () => {
    const table = statementsOfRole(synth.template, logicalIdOf(registrarOf(synth).handler.role)).filter((statement) => asList(statement.Action).some((action) => action.startsWith('dynamodb:')));
    expect(table.flatMap((statement) => asList(statement.Action)).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
  });

  it('passes cdk-nag', () => {
    expect(synth.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  });
});

describe('a stack with the DOI options, a secret ARN, the production endpoint and a publisher', () => {
  it('tells registerDois the ARN, endpoint and publisher, and grants the secret read on exactly that ARN', () => {
    const synth = synthesizeMlHub({ options: { ...DOI_OPTIONS, dataciteSecretName: SECRET_ARN, dataciteEndpoint: 'https://api.datacite.org', doiPublisher: 'Example University' }, bundling: false });
    const registrar = registrarOf(synth).handler;
    expect(publishingVariables(variablesOf(synth, registrar))).toMatchObject({
      [PUBLISHING_ENV.dataciteSecretId]: SECRET_ARN, [PUBLISHING_ENV.dataciteEndpoint]: 'https://api.datacite.org', [PUBLISHING_ENV.publisher]: 'Example University',
    });
    expect(otherGrants(synth, registrar).map((statement) => asList(statement.Resource))).toEqual([[SECRET_ARN]]);
    expect(synth.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  }, 120_000);
});

describe('a stack without the DOI options', () => {
  it('tells no function anything of publishing, and grants no send to the queue and no secret read', () => {
    const { stack } = createMlHubApp({ context: NO_BUNDLING, env: {} });
    expect(stack.publishing).toBeUndefined();
    const synth = synthesizeMlHub({ bundling: false });
    for (const routeFunction of [requesterOf(synth), registrarOf(synth).handler, ...sendersOf(synth)]) {
      expect(publishingVariables(variablesOf(synth, routeFunction))).toEqual({});
      expect(otherGrants(synth, routeFunction)).toEqual([]);
    }
    // Citations still name the landing pages, on the API's URL.
    expect(publishingVariables(variablesOf(synth, synth.stack.functions.byRoute.get('citeModel') as RouteFunction))).toEqual({ [PUBLISHING_ENV.landingBaseUrl]: apiUrlOf(synth) });
  }, 120_000);
});

describe('the DOI options', () => {
  const read = (options: Record<string, string>) => readStackConfig((option: StackOption) => options[option]);

  it('default to publishing off, DataCite\'s test system and MLHub as the publisher', () => {
    expect(read({})).toMatchObject({ doiPrefix: undefined, dataciteRepositoryId: undefined, dataciteSecretName: undefined, dataciteEndpoint: 'https://api.test.datacite.org', doiPublisher: 'MLHub' });
    expect(read({ ...DOI_OPTIONS, dataciteSecretName: SECRET_ARN })).toMatchObject({ doiPrefix: '10.12345', dataciteRepositoryId: 'ABC.MLHUB', dataciteSecretName: SECRET_ARN });
  });

  it('refuse a value that is not one, naming the option', () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ ...DOI_OPTIONS, doiPrefix: '10.123' }, /'doiPrefix'.*'10\.123' is not a DOI prefix/],
      [{ ...DOI_OPTIONS, doiPrefix: '11.12345' }, /'doiPrefix'/],
      [{ ...DOI_OPTIONS, doiPrefix: '10.1234567890' }, /'doiPrefix'/],
      [{ ...DOI_OPTIONS, dataciteRepositoryId: 'abc.mlhub' }, /'dataciteRepositoryId'.*ABC\.MLHUB/],
      [{ ...DOI_OPTIONS, dataciteRepositoryId: 'MLHUB' }, /'dataciteRepositoryId'/],
      [{ ...DOI_OPTIONS, dataciteRepositoryId: 'A.B' }, /'dataciteRepositoryId'.*5 to 18/],
      [{ ...DOI_OPTIONS, dataciteSecretName: 'mlhub datacite' }, /'dataciteSecretName'.*not a Secrets Manager secret name/],
      [{ ...DOI_OPTIONS, dataciteSecretName: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mlhub/datacite' }, /'dataciteSecretName'.*not a complete secret ARN/],
      [{ ...DOI_OPTIONS, dataciteEndpoint: 'http://api.datacite.org' }, /'dataciteEndpoint'.*https URL/],
      [{ ...DOI_OPTIONS, doiPublisher: 'MLHub\nX-Header: 1' }, /'doiPublisher'.*one line/],
    ];
    for (const [options, message] of refused) expect(() => read(options), JSON.stringify(options)).toThrow(message);
  });

  it('need the repository and the secret with a prefix, and a prefix for any of the others, naming the option', () => {
    expect(() => read({ doiPrefix: '10.12345', dataciteSecretName: 'mlhub/datacite' })).toThrow(/'dataciteRepositoryId'.*is required with doiPrefix '10\.12345'/);
    expect(() => read({ doiPrefix: '10.12345', dataciteRepositoryId: 'ABC.MLHUB' })).toThrow(/'dataciteSecretName'.*is required with doiPrefix '10\.12345'/);
    for (const option of ['dataciteRepositoryId', 'dataciteSecretName', 'dataciteEndpoint', 'doiPublisher'] as const) {
      const value = { dataciteRepositoryId: 'ABC.MLHUB', dataciteSecretName: 'mlhub/datacite', dataciteEndpoint: 'https://api.datacite.org', doiPublisher: 'MLHub' }[option];
      expect(() => read({ [option]: value }), option).toThrow(new RegExp(`'${option}'.*set doiPrefix too`));
    }
  });
});
