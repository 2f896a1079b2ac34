import { Stack } from 'aws-cdk-lib';
import { CfnBudget } from 'aws-cdk-lib/aws-budgets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface CostBudgetProps {
  /** Named `<name>-<region>`: the MLHub stack's name (not a nested stack's generated one). */
  readonly name: string;
  /** The monthly limit, in USD. */
  readonly monthlyLimitUsd: number;
  /** Told by e-mail; at least one of email and topic is given (lib/config/stack-config.ts checks). */
  readonly email: string | undefined;
  /** Told through SNS. */
  readonly topic: ITopic | undefined;
}

/** When the budget speaks: actual cost past 80% of the limit, and the month's forecast past the limit. */
export const BUDGET_ALERTS = [
  { notificationType: 'ACTUAL', thresholdPercent: 80 },
  { notificationType: 'FORECASTED', thresholdPercent: 100 },
] as const;

/**
 * A monthly AWS Budget named after the stack, on the unblended cost of the whole account:
 * Budgets can narrow a budget to one stack only by a cost allocation tag, which an account must
 * first activate in Billing, so the budget watches everything the account spends.
 */
export class CostBudget extends Construct {
  readonly budget: CfnBudget;

  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    const subscribers: CfnBudget.SubscriberProperty[] = [
      ...(props.email !== undefined ? [{ subscriptionType: 'EMAIL', address: props.email }] : []),
      ...(props.topic ? [{ subscriptionType: 'SNS', address: props.topic.topicArn }] : []),
    ];
    if (subscribers.length === 0) throw new Error('A budget needs an e-mail address or a topic to notify');
    this.budget = new CfnBudget(this, 'Budget', {
      budget: {
        // Budget names are unique in the account; the stack's region tells two deployments of a stage apart.
        budgetName: `${props.name}-${Stack.of(this).region}`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyLimitUsd, unit: 'USD' },
      },
      notificationsWithSubscribers: BUDGET_ALERTS.map(({ notificationType, thresholdPercent }) => ({
        notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold: thresholdPercent, thresholdType: 'PERCENTAGE' },
        subscribers,
      })),
    });
  }
}
