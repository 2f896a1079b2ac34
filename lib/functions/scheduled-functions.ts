import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { SCHEDULES, type ScheduledFunction } from '../../functions/routes/route-table';
import { accessAcknowledgements, accessStatements, storageAccessTargets } from '../access/access-statements';
import { scheduleAccess } from '../access/event-access';
import type { MlHubStorage } from '../storage/mlhub-storage';
import { RouteFunction } from './route-function';

/**
 * How a run that could not happen is handled: never retried, and dropped once the next run is
 * due, since that run does the same work over the same data. EventBridge retries delivering the
 * event to Lambda this many times (throttling, a service error), and Lambda runs an event that
 * failed only once (no retries: the next run is the retry, and the function's Errors metric shows
 * the failure).
 */
export const scheduleRetries = (schedule: ScheduledFunction) => ({
  deliveryAttempts: 2,
  functionRetries: 0,
  maxEventAge: Duration.minutes(schedule.rateMinutes),
}) as const;

export interface ScheduledFunctionsProps {
  readonly storage: MlHubStorage;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** One schedule, deployed. */
export interface DeployedSchedule {
  readonly schedule: ScheduledFunction;
  readonly handler: RouteFunction;
  readonly rule: Rule;
}

/**
 * One function per schedule in the route table (SCHEDULES), built as the route and event
 * functions are (same bundling, runtime, architecture, tracing and own log group), with the
 * schedule's memory and timeout and the data access SCHEDULE_ACCESS gives it, invoked by an
 * EventBridge rule at the schedule's rate. Runs may overlap when one outlasts the rate; the work
 * they do is conditional item by item (functions/versions/pending-sweep.ts), so an overlap costs
 * time, never correctness. No concurrency is reserved for them: a reservation takes from the
 * account's unreserved pool, which a new account may not have to spare.
 */
export class ScheduledFunctions extends Construct {
  /** By schedule id. */
  readonly bySchedule: ReadonlyMap<string, DeployedSchedule>;

  constructor(scope: Construct, id: string, props: ScheduledFunctionsProps) {
    super(scope, id);
    const { table, bundleBucket } = props.storage;
    const targets = storageAccessTargets(props.storage, []);

    this.bySchedule = new Map(SCHEDULES.map((schedule) => {
      const access = scheduleAccess(schedule.id);
      const retries = scheduleRetries(schedule);
      const handler = new RouteFunction(this, schedule.id, {
        handler: schedule.handler,
        description: `Every ${schedule.rateMinutes} minutes: ${schedule.summary}`,
        memoryMb: schedule.memoryMb,
        timeoutSeconds: schedule.timeoutSeconds,
        // A clock calls these functions, not callers: no identity configuration.
        environment: { [CONFIG_ENV.table]: table.tableName, [CONFIG_ENV.bucket]: bundleBucket.bucketName },
        dataAccess: accessStatements(access, targets),
        dataAccessAcknowledgements: accessAcknowledgements(access, targets),
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      handler.function.configureAsyncInvoke({ retryAttempts: retries.functionRetries, maxEventAge: retries.maxEventAge });

      const rule = new Rule(handler, 'Schedule', {
        description: `Runs ${schedule.handler} every ${schedule.rateMinutes} minutes`,
        schedule: Schedule.rate(Duration.minutes(schedule.rateMinutes)),
        targets: [new LambdaFunction(handler.function, { retryAttempts: retries.deliveryAttempts, maxEventAge: retries.maxEventAge })],
      });
      return [schedule.id, { schedule, handler, rule }];
    }));
  }
}
