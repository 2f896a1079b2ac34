import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { CatalogueFunctionOf } from '../../../functions/catalogue/function-catalogue';
import type { ScheduleTrigger } from '../../../functions/catalogue/function-triggers';
import type { RouteFunction } from '../route-function';

/**
 * How a run that could not happen is handled: never retried, and dropped once the next run is
 * due, since that run does the same work over the same data. EventBridge retries delivering the
 * event to Lambda this many times (throttling, a service error), and Lambda runs an event that
 * failed only once (no retries: the next run is the retry, and the function's Errors metric shows
 * the failure).
 */
export const scheduleRetries = (trigger: ScheduleTrigger) => ({
  deliveryAttempts: 2,
  functionRetries: 0,
  maxEventAge: Duration.minutes(trigger.rateMinutes),
}) as const;

/**
 * An EventBridge rule that invokes the function at the trigger's rate. Runs may overlap when one
 * outlasts the rate; no concurrency is reserved for them (a reservation takes from the account's
 * unreserved pool, which a new account may not have to spare). Returns the rule.
 */
export function wireScheduleTrigger(handler: RouteFunction, fn: CatalogueFunctionOf<'schedule'>): Rule {
  const retries = scheduleRetries(fn.trigger);
  handler.function.configureAsyncInvoke({ retryAttempts: retries.functionRetries, maxEventAge: retries.maxEventAge });
  return new Rule(handler, 'Schedule', {
    description: `Runs ${fn.handler} every ${fn.trigger.rateMinutes} minutes`,
    schedule: Schedule.rate(Duration.minutes(fn.trigger.rateMinutes)),
    targets: [new LambdaFunction(handler.function, { retryAttempts: retries.deliveryAttempts, maxEventAge: retries.maxEventAge })],
  });
}
