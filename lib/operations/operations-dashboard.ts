import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AlarmStatusWidget, Dashboard, GraphWidget, Metric, type Alarm, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BACKEND_KINDS } from '../../functions/inference/backend-spec';
import { DIMENSION, METRIC, UPLOAD_CHECK_OUTCOMES } from '../../functions/observability/metric-names';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/observability/observability-settings';

export interface OperationsDashboardProps {
  /** Named `<name>-<region>`: the MLHub stack's name (not a nested stack's generated one). */
  readonly name: string;
  /** The ids of the routes whose functions count their requests (the route table's). */
  readonly routeIds: readonly string[];
  readonly httpApi: HttpApi;
  readonly bundleBucket: IBucket;
  /** Shown with their state at the top. */
  readonly alarms: readonly Alarm[];
}

const PERIOD = Duration.minutes(5);
const FULL_WIDTH = 24;
const HALF_WIDTH = 12;

/**
 * One of MLHub's own metrics (functions/observability/metric-names.ts): namespace MLHub, the
 * `service` dimension Powertools adds, and one dimension of its own.
 */
function mlhubMetric(metricName: string, dimension: string, value: string, statistic: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, [dimension]: value },
    statistic,
    period: PERIOD,
    label: value,
  });
}

const graph = (title: string, left: Metric[], width = HALF_WIDTH): GraphWidget => new GraphWidget({ title, left, width, height: 6 });

/**
 * The stack's CloudWatch dashboard, `<stack name>`: the alarms' states; the API's requests,
 * 4xx, 5xx and p50/p99 latency (API Gateway's metrics); per route, from the functions' own
 * metrics: requests, p50 and p99 latency, 5xx and 4xx; predictions and failed predictions per
 * backend; upload checks by outcome; and the bytes the bundle bucket stores (S3's daily
 * BucketSizeBytes, all versions in S3 Standard).
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { httpApi, routeIds } = props;
    const perRoute = (metricName: string, statistic: string): Metric[] => routeIds.map((routeId) => mlhubMetric(metricName, DIMENSION.routeId, routeId, statistic));
    const apiMetric = (metric: Metric, label: string): Metric => metric.with({ period: PERIOD, label });

    const rows: IWidget[][] = [
      [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: FULL_WIDTH, height: 4 })],
      [
        graph('API requests and errors (Sum)', [
          apiMetric(httpApi.metricCount({ statistic: 'Sum' }), 'requests'),
          apiMetric(httpApi.metricClientError({ statistic: 'Sum' }), '4xx'),
          apiMetric(httpApi.metricServerError({ statistic: 'Sum' }), '5xx'),
        ]),
        graph('API latency (ms)', [
          apiMetric(httpApi.metricLatency({ statistic: 'p50' }), 'p50'),
          apiMetric(httpApi.metricLatency({ statistic: 'p99' }), 'p99'),
        ]),
      ],
      [graph('Requests per route (Sum)', perRoute(METRIC.requests, 'Sum'), FULL_WIDTH)],
      [
        graph('Latency per route, p50 (ms)', perRoute(METRIC.latency, 'p50')),
        graph('Latency per route, p99 (ms)', perRoute(METRIC.latency, 'p99')),
      ],
      [
        graph('5xx per route (Sum)', perRoute(METRIC.serverErrors, 'Sum')),
        graph('4xx per route (Sum)', perRoute(METRIC.clientErrors, 'Sum')),
      ],
      [
        graph('Predictions per backend (Sum)', BACKEND_KINDS.map((backend) => mlhubMetric(METRIC.predictions, DIMENSION.backend, backend, 'Sum'))),
        graph('Failed predictions per backend (Sum)', BACKEND_KINDS.map((backend) => mlhubMetric(METRIC.predictionErrors, DIMENSION.backend, backend, 'Sum'))),
      ],
      [
        graph('Upload checks by outcome (Sum)', UPLOAD_CHECK_OUTCOMES.map((outcome) => mlhubMetric(METRIC.uploadChecks, DIMENSION.outcome, outcome, 'Sum'))),
        graph('Bytes stored in the bundle bucket', [new Metric({
          namespace: 'AWS/S3',
          metricName: 'BucketSizeBytes',
          dimensionsMap: { BucketName: props.bundleBucket.bucketName, StorageType: 'StandardStorage' },
          statistic: 'Average',
          // S3 reports storage once a day.
          period: Duration.days(1),
          label: 'bundle bucket',
        })]),
      ],
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are unique in the account, not per region: a stage deployed in two regions needs two.
      dashboardName: `${props.name}-${Stack.of(this).region}`,
      defaultInterval: Duration.days(1),
      widgets: rows,
    });
  }
}
