import { Aws, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Subscribed by e-mail (SNS mails it a confirmation link first); none when undefined. */
  readonly email: string | undefined;
  readonly removalPolicy: RemovalPolicy;
}

/** The services that publish to the topic: CloudWatch for alarm state changes, AWS Budgets for budget alerts. */
const PUBLISHERS = ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com'] as const;

/**
 * The SNS topic every alarm (and the budget) notifies, encrypted with a key of its own and
 * reached over TLS only. CloudWatch and AWS Budgets cannot publish to a topic encrypted with the
 * AWS managed SNS key, so the key lets exactly those two services encrypt messages for this
 * account, and the topic lets AWS Budgets publish for this account (CloudWatch alarms of the
 * topic's own account need no topic policy).
 */
export class AlarmTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Encrypts MLHub alarm and budget notifications',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const sourceAccount = { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } };
    this.key.addToResourcePolicy(new PolicyStatement({
      principals: PUBLISHERS.map((service) => new ServicePrincipal(service)),
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: sourceAccount,
    }));
    this.topic = new Topic(this, 'Topic', {
      displayName: 'MLHub alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(new PolicyStatement({
      principals: [new ServicePrincipal('budgets.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: sourceAccount,
    }));
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
  }
}
