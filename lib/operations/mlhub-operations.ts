import { NestedStack, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic';
import { CostBudget } from './cost-budget';
import { OperationsAlarms, type WatchedFunction, type WatchedQueue } from './operations-alarms';
import { OperationsDashboard } from './operations-dashboard';

export interface MlHubOperationsProps {
  /** Every function in the stack that runs MLHub's code, by route or catalogue id. */
  readonly functions: readonly WatchedFunction[];
  readonly failedEventQueues: readonly WatchedQueue[];
  /** The routes whose requests the dashboard shows, by id. */
  readonly routeIds: readonly string[];
  readonly httpApi: HttpApi;
  readonly table: ITable;
  readonly bundleBucket: IBucket;
  /** The stack options alarmTopic, alarmEmail and monthlyBudgetUsd. */
  readonly notifications: { readonly topic: boolean; readonly email: string | undefined; readonly monthlyBudgetUsd: number | undefined };
  readonly removalPolicy: RemovalPolicy;
}

/**
 * What operators watch: the alarms (lib/operations/operations-alarms.ts), the dashboard, and,
 * as configured, the topic the alarms notify (with its e-mail subscription) and a monthly budget.
 * A nested stack of its own: about 70 resources that only watch the others, by name, which
 * CloudFormation's 500 per stack could not hold beside the rest (one parameter per function,
 * queue, API, table and bucket watched, of the 200 a template may have).
 */
export class MlHubOperations extends NestedStack {
  readonly alarms: OperationsAlarms;
  readonly dashboard: OperationsDashboard;
  readonly alarmTopic?: AlarmTopic;
  readonly budget?: CostBudget;

  constructor(scope: Construct, id: string, props: MlHubOperationsProps) {
    super(scope, id, { description: 'MLHub operations: alarms, dashboard, alarm topic and budget' });
    const { notifications } = props;
    // The dashboard and budget keep the MLHub stack's name, as operators know it.
    const name = Stack.of(scope).stackName;
    if (notifications.topic) this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', { email: notifications.email, removalPolicy: props.removalPolicy });
    const topic = this.alarmTopic?.topic;
    this.alarms = new OperationsAlarms(this, 'Alarms', {
      functions: props.functions,
      failedEventQueues: props.failedEventQueues,
      httpApi: props.httpApi,
      table: props.table,
      action: topic ? new SnsAction(topic) : undefined,
    });
    this.dashboard = new OperationsDashboard(this, 'Dashboard', {
      name,
      routeIds: props.routeIds,
      httpApi: props.httpApi,
      bundleBucket: props.bundleBucket,
      alarms: [...this.alarms.alarms.values()],
    });
    if (notifications.monthlyBudgetUsd !== undefined) {
      this.budget = new CostBudget(this, 'Budget', { name, monthlyLimitUsd: notifications.monthlyBudgetUsd, email: notifications.email, topic });
    }
  }
}
