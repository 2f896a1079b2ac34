/**
 * What operators get from the stack (lib/operations/, a nested stack of its own): alarms on every
 * function (the job state machine's, in the Jobs nested stack, included), the failed-event
 * queues, the API and the table; a dashboard; and, only when configured, the alarm topic with its
 * e-mail subscription and a monthly budget. Also: every log group keeps its logs for the
 * configured time, and every function logs to one of them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_CATALOGUE_FUNCTIONS } from '../../lib/functions/catalogue-functions';
import { BACKEND_KINDS } from '../../functions/inference/backend-spec';
import { ROUTES } from '../../functions/routes/route-table';
import { ALL_INDEXES } from '../../functions/store/table-design';
import { failedEventsOf } from '../../lib/functions/catalogue-functions';
import { BUCKET_NOTIFICATIONS_HANDLER_ID } from '../../lib/functions/triggers/s3-notification';
import { originIn } from './support/nested-stacks';
import { nestedTemplateOf, synthesizeMlHub, type SynthesizedMlHub } from './support/synthesize';
import { logicalIdOf, referencedId, resourceById, resourcesOfType, type Resource, type Statement } from './support/template-views';

let plain: SynthesizedMlHub;
let notified: SynthesizedMlHub;

beforeAll(() => {
  plain = synthesizeMlHub({ options: { removalPolicy: 'destroy', logRetentionDays: '14' }, bundling: false });
  notified = synthesizeMlHub({ options: { alarmEmail: 'ops@example.org', monthlyBudgetUsd: '250' }, bundling: false });
}, 240_000);

interface AlarmProperties {
  readonly MetricName?: string;
  readonly Namespace?: string;
  readonly Statistic?: string;
  readonly Period?: number;
  readonly Dimensions?: readonly { Name: string; Value: unknown }[];
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly EvaluationPeriods: number;
  readonly TreatMissingData: string;
  readonly AlarmActions?: unknown[];
  readonly OKActions?: unknown[];
  readonly Metrics?: readonly { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string; Period: number } }[];
}

/** The operations stack's template. */
const operationsOf = (synth: SynthesizedMlHub) => nestedTemplateOf(synth, synth.stack.operations);
const jobsOf = (synth: SynthesizedMlHub) => nestedTemplateOf(synth, synth.stack.jobs);

const alarmsOf = (synth: SynthesizedMlHub): AlarmProperties[] =>
  Object.values(resourcesOfType(operationsOf(synth), 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties as unknown as AlarmProperties);

/** The logical id, in its own stack, of what a value of the operations stack refers to (through its parameters). */
const origin = (synth: SynthesizedMlHub, value: unknown): string | undefined => originIn(synth, synth.stack.operations, value);

/** The alarms on one metric of one resource, found by the dimension that names it. */
const alarmsOn = (synth: SynthesizedMlHub, metricName: string, dimension: string, logicalId: string): AlarmProperties[] =>
  alarmsOf(synth).filter((alarm) => alarm.MetricName === metricName
    && alarm.Dimensions?.some((entry) => entry.Name === dimension && origin(synth, entry.Value) === logicalId));

/** Every catalogue function the stack builds: the event functions, and the job state machine's tasks in the Jobs stack. */
const catalogueDeployed = (synth: SynthesizedMlHub) => [...synth.stack.catalogueFunctions.byId.values(), ...synth.stack.jobs.tasks.byId.values()];

/** Every function the stack builds from the route table and the function catalogue, and the fallback, by id. */
const handlerFunctions = (synth: SynthesizedMlHub): [string, string][] => [
  ...[...synth.stack.functions.byRoute].map(([id, fn]): [string, string] => [id, logicalIdOf(fn.function)]),
  ['NotRouted', logicalIdOf(synth.stack.functions.fallback.function)],
  ...catalogueDeployed(synth).map((deployed): [string, string] => [deployed.spec.id, logicalIdOf(deployed.handler.function)]),
];

describe('alarms', () => {
  it('watch every route and catalogue function, and the fallback, for any Error or Throttle in five minutes (one alarm over both)', () => {
    const watched = handlerFunctions(plain);
    expect(watched.length).toBe(ROUTES.length + 1 + STACK_CATALOGUE_FUNCTIONS.length);
    const onFunction = (logicalId: string) => alarmsOf(plain).filter((alarm) => alarm.Metrics?.some((metric) => metric.MetricStat?.Metric.Dimensions
      .some((entry) => entry.Name === 'FunctionName' && origin(plain, entry.Value) === logicalId)));
    for (const [id, logicalId] of watched) {
      const [alarm, ...others] = onFunction(logicalId);
      expect(others, id).toEqual([]);
      expect(alarm, id).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
      const metrics = alarm?.Metrics ?? [];
      const idOf = (name: string) => {
        const found = metrics.find((metric) => metric.MetricStat?.Metric.MetricName === name);
        expect(found?.MetricStat, `${id} ${name}`).toMatchObject({ Stat: 'Sum', Period: 300, Metric: { Namespace: 'AWS/Lambda' } });
        return found?.Id;
      };
      expect(metrics.find((metric) => metric.Expression)?.Expression, id).toBe(`FILL(${idOf('Errors')}, 0) + FILL(${idOf('Throttles')}, 0)`);
    }
  });

  it('fire when a run of the finalizer (or any catalogue function) takes over 80% of its timeout', () => {
    const finalizer = plain.stack.catalogueFunctions.of('finalizeUpload', 's3');
    expect(finalizer.spec.timeoutSeconds).toBe(900);
    expect(alarmsOn(plain, 'Duration', 'FunctionName', logicalIdOf(finalizer.handler.function))).toEqual([expect.objectContaining({
      Namespace: 'AWS/Lambda', Statistic: 'Maximum', Period: 300, Threshold: 720_000, ComparisonOperator: 'GreaterThanThreshold',
    })]);
    for (const deployed of catalogueDeployed(plain)) {
      const resource = resourceById(deployed.kind === 'state-machine-task' ? jobsOf(plain) : plain.template, logicalIdOf(deployed.handler.function));
      expect(alarmsOn(plain, 'Duration', 'FunctionName', logicalIdOf(deployed.handler.function))[0]?.Threshold).toBe(0.8 * (resource.Properties.Timeout as number) * 1000);
    }
    // Route functions answer within the API's limit; their timeouts show as Errors.
    expect(alarmsOf(plain).filter((alarm) => alarm.MetricName === 'Duration')).toHaveLength(STACK_CATALOGUE_FUNCTIONS.length);
  });

  it('fire on any message in a failed-event or dead-letter queue', () => {
    const queues = [...plain.stack.catalogueFunctions.byId.values()].flatMap((deployed) => failedEventsOf(deployed) ?? []);
    expect(queues.length).toBeGreaterThan(0);
    for (const queue of queues) {
      expect(alarmsOn(plain, 'ApproximateNumberOfMessagesVisible', 'QueueName', logicalIdOf(queue))).toEqual([expect.objectContaining({
        Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      })]);
    }
    expect(alarmsOf(plain).filter((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(queues.length);
  });

  it("fire when over 5% of the API's answers are 5xx two periods running, from API Gateway's 5xx and Count", () => {
    const apiId = logicalIdOf(plain.stack.httpApi.api);
    const [alarm, ...others] = alarmsOf(plain).filter((candidate) => candidate.Metrics?.some((metric) => metric.MetricStat?.Metric.MetricName === '5xx'));
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 2, TreatMissingData: 'notBreaching' });
    const metrics = alarm?.Metrics ?? [];
    const stat = (name: string) => metrics.find((metric) => metric.MetricStat?.Metric.MetricName === name)?.MetricStat;
    for (const name of ['5xx', 'Count']) {
      expect(stat(name)).toMatchObject({ Stat: 'Sum', Period: 300, Metric: { Namespace: 'AWS/ApiGateway', Dimensions: [{ Name: 'ApiId', Value: expect.anything() }] } });
      expect(origin(plain, stat(name)?.Metric.Dimensions[0]?.Value)).toBe(apiId);
    }
    const errorsId = metrics.find((metric) => metric.MetricStat?.Metric.MetricName === '5xx')?.Id;
    const countId = metrics.find((metric) => metric.MetricStat?.Metric.MetricName === 'Count')?.Id;
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe(`IF(${countId} > 0, 100 * FILL(${errorsId}, 0) / ${countId}, 0)`);
  });

  it('fire on any read or write throttle event of the table or of any of its indexes', () => {
    const tableId = logicalIdOf(plain.stack.storage.table);
    const [alarm, ...others] = alarmsOf(plain).filter((candidate) => candidate.Metrics?.some((metric) => metric.MetricStat?.Metric.Namespace === 'AWS/DynamoDB'));
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const stats = (alarm?.Metrics ?? []).flatMap((metric) => (metric.MetricStat ? [metric.MetricStat] : []));
    for (const stat of stats) {
      expect(stat).toMatchObject({ Stat: 'Sum', Metric: { Dimensions: expect.arrayContaining([{ Name: 'TableName', Value: expect.anything() }]) } });
      expect(origin(plain, stat.Metric.Dimensions.find((dimension) => dimension.Name === 'TableName')?.Value)).toBe(tableId);
    }
    // Each metric of the table, then of each index by the dimension DynamoDB publishes it under.
    const watched = stats.map((stat) => `${stat.Metric.MetricName} ${stat.Metric.Dimensions.find((dimension: { Name: string }) => dimension.Name === 'GlobalSecondaryIndexName')?.Value ?? '(table)'}`).sort();
    expect(watched).toEqual(['(table)', ...ALL_INDEXES.map((index) => index.indexName)].flatMap((target) => [`ReadThrottleEvents ${target}`, `WriteThrottleEvents ${target}`]).sort());
    const ids = (alarm?.Metrics ?? []).filter((metric) => metric.MetricStat).map((metric) => metric.Id);
    expect((alarm?.Metrics ?? []).find((metric) => metric.Expression)?.Expression).toBe(ids.map((id) => `FILL(${id}, 0)`).join(' + '));
  });

  it('notify nothing, and no topic or budget exists, when none is configured', () => {
    for (const alarm of alarmsOf(plain)) {
      expect(alarm.AlarmActions).toBeUndefined();
      expect(alarm.OKActions).toBeUndefined();
    }
    for (const type of ['AWS::SNS::Topic', 'AWS::SNS::Subscription', 'AWS::KMS::Key', 'AWS::Budgets::Budget']) {
      for (const template of [plain.template, operationsOf(plain), jobsOf(plain)]) expect(resourcesOfType(template, type), type).toEqual({});
    }
    expect(plain.stack.operations.alarmTopic).toBeUndefined();
  });
});

/** The dashboard's body, with each `Ref` and `Fn::GetAtt` written as `{ref:<id>}`. */
function dashboardBody(synth: SynthesizedMlHub): { widgets: { type: string; properties: { title: string; metrics?: unknown[][]; alarms?: string[] } }[] } {
  const [dashboard, ...others] = Object.values(resourcesOfType(operationsOf(synth), 'AWS::CloudWatch::Dashboard'));
  expect(others).toEqual([]);
  const body = (dashboard as Resource).Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `{ref:${origin(synth, part) ?? JSON.stringify(part)}}`)).join('');
  return JSON.parse(text) as ReturnType<typeof dashboardBody>;
}

describe('the dashboard', () => {
  const widget = (title: string) => {
    const found = dashboardBody(plain).widgets.find((candidate) => candidate.properties.title === title);
    if (!found) throw new Error(`no widget '${title}'`);
    return found.properties;
  };
  /** `namespace metric dimension value…` per line of a graph (dimensions in CDK's order, by name), without render options. */
  const rows = (title: string): string[] => (widget(title).metrics ?? []).map((row) => row.filter((cell) => typeof cell === 'string').join(' '));

  it('is named after the stack and shows every alarm with its state', () => {
    const [dashboard] = Object.values(resourcesOfType(operationsOf(plain), 'AWS::CloudWatch::Dashboard'));
    expect(dashboard?.Properties.DashboardName).toEqual({ 'Fn::Join': ['', ['MlHub-dev-', { Ref: 'AWS::Region' }]] });
    expect(widget('Alarms').alarms).toHaveLength(alarmsOf(plain).length);
  });

  it("shows the API's requests, 4xx and 5xx, and its p50 and p99 latency", () => {
    const api = logicalIdOf(plain.stack.httpApi.api);
    expect(rows('API requests and errors (Sum)')).toEqual(['Count', '4xx', '5xx'].map((name) => `AWS/ApiGateway ${name} ApiId {ref:${api}}`));
    expect(widget('API latency (ms)').metrics?.map((row) => (row.at(-1) as { stat: string }).stat)).toEqual(['p50', 'p99']);
  });

  it('shows requests, p50 and p99 latency, 5xx and 4xx for every route, from the functions\' own metrics', () => {
    const perRoute = (metric: string) => ROUTES.map((route) => `MLHub ${metric} route_id ${route.id} service mlhub`);
    expect(rows('Requests per route (Sum)')).toEqual(perRoute('Requests'));
    expect(rows('Latency per route, p50 (ms)')).toEqual(perRoute('Latency'));
    expect(widget('Latency per route, p99 (ms)').metrics?.map((row) => (row.at(-1) as { stat: string }).stat)).toEqual(ROUTES.map(() => 'p99'));
    expect(rows('5xx per route (Sum)')).toEqual(perRoute('5xx'));
    expect(rows('4xx per route (Sum)')).toEqual(perRoute('4xx'));
  });

  it('shows predictions per backend, upload checks by outcome, and the bytes the bundle bucket stores', () => {
    expect(rows('Predictions per backend (Sum)')).toEqual(BACKEND_KINDS.map((kind) => `MLHub Predictions backend ${kind} service mlhub`));
    expect(rows('Failed predictions per backend (Sum)')).toEqual(BACKEND_KINDS.map((kind) => `MLHub PredictionErrors backend ${kind} service mlhub`));
    expect(rows('Upload checks by outcome (Sum)')).toEqual(['ready', 'rejected'].map((outcome) => `MLHub UploadChecks outcome ${outcome} service mlhub`));
    expect(rows('Bytes stored in the bundle bucket')).toEqual([`AWS/S3 BucketSizeBytes BucketName {ref:${logicalIdOf(plain.stack.storage.bundleBucket)}} StorageType StandardStorage`]);
    // A day, as S3 reports storage; Average, the graph's default, which CDK then leaves out.
    const options = widget('Bytes stored in the bundle bucket').metrics?.[0]?.at(-1) as { stat?: string; period?: number };
    expect(options.period).toBe(86_400);
    expect(options.stat ?? 'Average').toBe('Average');
  });
});

describe('with alarmEmail and monthlyBudgetUsd', () => {
  const topicId = (): string => logicalIdOf(notified.stack.operations.alarmTopic?.topic as NonNullable<typeof notified.stack.operations.alarmTopic>['topic']);

  it('makes one topic, encrypted with a rotated key of its own, that refuses anything but TLS', () => {
    const [topic, ...others] = Object.values(resourcesOfType(operationsOf(notified), 'AWS::SNS::Topic'));
    expect(others).toEqual([]);
    const keyId = referencedId(topic?.Properties.KmsMasterKeyId);
    expect(resourceById(operationsOf(notified), keyId as string).Properties.EnableKeyRotation).toBe(true);
    const [policy] = Object.values(resourcesOfType(operationsOf(notified), 'AWS::SNS::TopicPolicy'));
    const statements = (policy?.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
    const publishing = (service: string, sourceArn: unknown) => expect.objectContaining({
      Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: service }, Resource: { Ref: topicId() },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': sourceArn } },
    });
    expect(statements).toEqual(expect.arrayContaining([
      publishing('cloudwatch.amazonaws.com', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] }),
      publishing('budgets.amazonaws.com', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':budgets::', { Ref: 'AWS::AccountId' }, ':*']] }),
    ]));
  });

  it('lets CloudWatch and Budgets encrypt messages with the key', () => {
    const [key] = Object.values(resourcesOfType(operationsOf(notified), 'AWS::KMS::Key'));
    const statements = (key?.Properties.KeyPolicy as { Statement: (Statement & { Principal?: { Service?: unknown } })[] }).Statement;
    const services = statements.filter((statement) => statement.Principal?.Service);
    // CDK may merge the two grants into one statement naming both services.
    expect(services.flatMap((statement) => [statement.Principal?.Service].flat()).sort()).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']);
    for (const statement of services) expect(statement).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' });
  });

  it('subscribes the e-mail address to the topic', () => {
    expect(Object.values(resourcesOfType(operationsOf(notified), 'AWS::SNS::Subscription')).map((subscription) => subscription.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.org', TopicArn: { Ref: topicId() } },
    ]);
  });

  it('has every alarm notify the topic when it fires and when it clears', () => {
    const alarms = alarmsOf(notified);
    expect(alarms.length).toBe(alarmsOf(plain).length);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId() }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId() }]);
    }
  });

  it('makes a monthly cost budget in USD, telling the address and the topic at 80% of actual cost and 100% of the forecast', () => {
    const [budget, ...others] = Object.values(resourcesOfType(operationsOf(notified), 'AWS::Budgets::Budget'));
    expect(others).toEqual([]);
    expect(budget?.Properties.Budget).toEqual({ BudgetName: { 'Fn::Join': ['', ['MlHub-dev-', { Ref: 'AWS::Region' }]] }, BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 250, Unit: 'USD' } });
    const subscribers = [{ SubscriptionType: 'EMAIL', Address: 'ops@example.org' }, { SubscriptionType: 'SNS', Address: { Ref: topicId() } }];
    expect(budget?.Properties.NotificationsWithSubscribers).toEqual([
      { Notification: { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 80, ThresholdType: 'PERCENTAGE' }, Subscribers: subscribers },
      { Notification: { NotificationType: 'FORECASTED', ComparisonOperator: 'GREATER_THAN', Threshold: 100, ThresholdType: 'PERCENTAGE' }, Subscribers: subscribers },
    ]);
  });

  it('passes cdk-nag', () => {
    expect(notified.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
    expect(plain.validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  });

  it('makes the topic without a subscription with alarmTopic=true alone', () => {
    const topicOnly = synthesizeMlHub({ options: { alarmTopic: 'true' }, bundling: false });
    expect(Object.keys(resourcesOfType(operationsOf(topicOnly), 'AWS::SNS::Topic'))).toHaveLength(1);
    expect(resourcesOfType(operationsOf(topicOnly), 'AWS::SNS::Subscription')).toEqual({});
    expect(resourcesOfType(operationsOf(topicOnly), 'AWS::Budgets::Budget')).toEqual({});
  }, 120_000);
});

describe('log retention', () => {
  it('keeps every log group in the template for logRetentionDays', () => {
    const groupsOf = (synth: SynthesizedMlHub) => [synth.template, jobsOf(synth), operationsOf(synth)].flatMap((template) => Object.values(resourcesOfType(template, 'AWS::Logs::LogGroup')));
    const groups = groupsOf(plain);
    expect(groups.length).toBeGreaterThan(ROUTES.length);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(14);
    for (const group of groupsOf(notified)) expect(group.Properties.RetentionInDays).toBe(90);
  });

  it("has every function log to a log group of its stack, CDK's bucket notifications handler included", () => {
    let count = 0;
    for (const template of [plain.template, jobsOf(plain), operationsOf(plain)]) {
      const groups = new Set(Object.keys(resourcesOfType(template, 'AWS::Logs::LogGroup')));
      const functions = resourcesOfType(template, 'AWS::Lambda::Function');
      for (const [id, fn] of Object.entries(functions)) {
        const logGroup = referencedId((fn.Properties.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup);
        expect(logGroup && groups.has(logGroup), id).toBe(true);
      }
      count += Object.keys(functions).length;
    }
    expect(Object.keys(resourcesOfType(plain.template, 'AWS::Lambda::Function')).some((id) => id.startsWith(BUCKET_NOTIFICATIONS_HANDLER_ID))).toBe(true);
    // Nothing else makes functions (CDK's LogRetention or other singleton handlers would show here).
    expect(count).toBe(handlerFunctions(plain).length + 1);
  });

  it('keeps the state machine\'s execution history in a log group of its own, for logRetentionDays', () => {
    const group = resourceById(jobsOf(plain), logicalIdOf(plain.stack.jobs.jobStateMachine.logGroup));
    expect(group.Properties.RetentionInDays).toBe(14);
  });
});
