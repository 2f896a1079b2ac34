import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IAlarmAction, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALL_INDEXES } from '../../functions/store/table-design';

/** Every alarm looks at five-minute periods. */
export const ALARM_PERIOD = Duration.minutes(5);

/** A function an event runs, whose duration may approach its timeout without any caller noticing. */
export const DURATION_ALARM_SHARE = 0.8;

/** The share of API answers that may be 5xx, in percent, before the API's alarm fires. */
export const API_5XX_PERCENT = 5;

/** One deployed function, by the id of its route or catalogue entry. */
export interface WatchedFunction {
  readonly id: string;
  readonly function: IFunction;
  /** Set for functions whose duration is watched against their timeout (the event functions). */
  readonly timeoutSeconds?: number;
}

/** A queue where events that failed every try end up. */
export interface WatchedQueue {
  readonly id: string;
  readonly queue: IQueue;
}

export interface OperationsAlarmsProps {
  readonly functions: readonly WatchedFunction[];
  readonly failedEventQueues: readonly WatchedQueue[];
  readonly httpApi: HttpApi;
  readonly table: ITable;
  /** Notified when an alarm fires and when it clears (the alarm topic); none when undefined. */
  readonly action: IAlarmAction | undefined;
}

/**
 * The stack's CloudWatch alarms, each naming what it watches in its description:
 * - a message visible in a failed-event or dead-letter queue (an event that failed every try,
 *   which the queue drops after 14 days);
 * - any Lambda Errors or Throttles of a function (one alarm over both): handlers answer every
 *   handled failure themselves, so Errors counts crashes and timeouts only;
 * - an event function's longest run above DURATION_ALARM_SHARE of its timeout;
 * - the API's 5xx answers above API_5XX_PERCENT of its requests (API Gateway's own metrics, so
 *   integration failures and the gateway's own 503s count too), two periods running;
 * - any read or write throttle event on the table.
 * Missing data (no traffic) is not a breach.
 */
export class OperationsAlarms extends Construct {
  /** By construct id (`<function id>Failures`, `<queue id>Messages`, `Api5xxRate`...). */
  readonly alarms: ReadonlyMap<string, Alarm>;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    const alarms = new Map<string, Alarm>();
    const add = (alarmId: string, description: string, metric: IMetric, threshold: number, options: { evaluationPeriods?: number; operator?: ComparisonOperator } = {}): void => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        comparisonOperator: options.operator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.action) {
        alarm.addAlarmAction(props.action);
        alarm.addOkAction(props.action);
      }
      alarms.set(alarmId, alarm);
    };

    for (const { id: queueId, queue } of props.failedEventQueues) {
      add(`${queueId}Messages`, `${queueId}: an event failed every try and waits in its queue (kept 14 days); read the error there and send the event again`,
        queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }), 1);
    }
    for (const { id: functionId, function: fn, timeoutSeconds } of props.functions) {
      // One alarm for both, over metric math: an alarm per metric per function took over 100 of
      // CloudFormation's 500 resources a stack may hold.
      add(`${functionId}Failures`, `${functionId}: the function failed (a crash or a timeout; handled errors are answered, not counted) or Lambda refused to run it (concurrency limit reached): see its Errors and Throttles`, new MathExpression({
        label: 'errors + throttles',
        expression: 'FILL(errors, 0) + FILL(throttles, 0)',
        usingMetrics: { errors: fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }), throttles: fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }) },
        period: ALARM_PERIOD,
      }), 1);
      if (timeoutSeconds !== undefined) {
        add(`${functionId}Duration`, `${functionId}: a run took over ${DURATION_ALARM_SHARE * 100}% of the function's ${timeoutSeconds} s timeout`,
          fn.metricDuration({ period: ALARM_PERIOD, statistic: 'Maximum' }), DURATION_ALARM_SHARE * timeoutSeconds * 1000,
          { operator: ComparisonOperator.GREATER_THAN_THRESHOLD });
      }
    }
    add('Api5xxRate', `API: more than ${API_5XX_PERCENT}% of answers were 5xx in two periods running`, new MathExpression({
      label: '5xx rate (%)',
      expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
      usingMetrics: {
        errors: props.httpApi.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }),
        requests: props.httpApi.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' }),
      },
      period: ALARM_PERIOD,
    }), API_5XX_PERCENT, { evaluationPeriods: 2, operator: ComparisonOperator.GREATER_THAN_THRESHOLD });
    // The table's own throttle metrics leave out its indexes (DynamoDB publishes those under
    // TableName and GlobalSecondaryIndexName), and publicModels, one partition for all public
    // models, is where a throttle is likeliest.
    const throttleMetrics: Record<string, IMetric> = {};
    for (const [at, indexName] of [undefined, ...ALL_INDEXES.map((index) => index.indexName)].entries()) {
      const dimensionsMap = { TableName: props.table.tableName, ...(indexName ? { GlobalSecondaryIndexName: indexName } : {}) };
      throttleMetrics[`reads${at}`] = props.table.metric('ReadThrottleEvents', { period: ALARM_PERIOD, statistic: 'Sum', dimensionsMap });
      throttleMetrics[`writes${at}`] = props.table.metric('WriteThrottleEvents', { period: ALARM_PERIOD, statistic: 'Sum', dimensionsMap });
    }
    add('TableThrottles', 'DynamoDB: requests to the table or one of its indexes were throttled', new MathExpression({
      label: 'throttle events',
      // DynamoDB publishes a throttle metric only for periods that had throttles.
      expression: Object.keys(throttleMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
      usingMetrics: throttleMetrics,
      period: ALARM_PERIOD,
    }), 1);
    this.alarms = alarms;
  }
}
