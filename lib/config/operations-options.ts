/** The operations options: alarm notifications, the monthly budget, and reserved concurrency. */
import { StackConfigError, stringOption, wholeNumber } from './option-readers';
import type { StackConfig, StackOption } from './stack-config';

/** US dollars with at most two decimals, as AWS Budgets bills them; at most a million a month. */
export function parseBudget(raw: unknown): number {
  const text = typeof raw === 'number' ? String(raw) : stringOption('monthlyBudgetUsd', raw);
  const amount = /^\d{1,7}(\.\d{1,2})?$/.test(text) ? Number(text) : Number.NaN;
  if (!(amount >= 1 && amount <= 1_000_000)) throw new StackConfigError('monthlyBudgetUsd', `expected an amount in USD from 1 to 1000000 with at most two decimals (250, 99.50), got ${JSON.stringify(raw)}`);
  return amount;
}

/** Notifications agree: an e-mail needs the topic, and a budget needs someone to tell. */
export function checkNotificationOptions(config: StackConfig, given: (option: StackOption) => boolean): void {
  if (config.alarmEmail !== undefined && given('alarmTopic') && !config.alarmTopic) {
    throw new StackConfigError('alarmTopic', `is false, but alarmEmail '${config.alarmEmail}' is subscribed to the alarm topic: leave alarmTopic out, or alarmEmail`);
  }
  if (config.monthlyBudgetUsd !== undefined && config.alarmEmail === undefined && !config.alarmTopic) {
    throw new StackConfigError('monthlyBudgetUsd', 'notifies the alarm topic and e-mail: set alarmEmail (or alarmTopic=true), or the budget would tell no one');
  }
}

/**
 * Reserved concurrency: a whole number, or 0 or `none` for unreserved. Lambda's default account
 * quota is 1,000 concurrent executions (raisable), of which 100 must stay unreserved.
 */
export function reservedConcurrency(option: StackOption, raw: unknown): number {
  if (typeof raw === 'string' && raw.trim().toLowerCase() === 'none') return 0;
  return wholeNumber(option, raw, 0, 100_000);
}
