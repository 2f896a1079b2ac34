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

/**
 * The services that publish to the topic, each for this account's own resources only (the
 * confused-deputy conditions both services support): CloudWatch for the state changes of this
 * region's alarms, AWS Budgets for budget alerts.
 */
const publishers = (): readonly { readonly service: string; readonly sourceArn: string }[] => [
  { service: 'cloudwatch.amazonaws.com', sourceArn: `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
  { service: 'budgets.amazonaws.com', sourceArn: `arn:${Aws.PARTITION}:budgets::${Aws.ACCOUNT_ID}:*` },
];

/**
 * The SNS topic every alarm (and the budget) notifies, encrypted with a key of its own and
 * reached over TLS only. CloudWatch and AWS Budgets cannot publish to a topic encrypted with the
 * AWS managed SNS key, so the key lets exactly those two services encrypt messages, and the
 * topic lets them publish, on behalf of this account's alarms and budgets only.
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
    this.topic = new Topic(this, 'Topic', {
      displayName: 'MLHub alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const { service, sourceArn } of publishers()) {
      const conditions = { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': sourceArn } };
      const principals = [new ServicePrincipal(service)];
      // The key is reached only through the topic, whose policy carries the conditions; SNS
      // documents these grants without them, and a condition a service's KMS request lacks
      // would drop every notification silently.
      this.key.addToResourcePolicy(new PolicyStatement({ principals, actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }));
      this.topic.addToResourcePolicy(new PolicyStatement({ principals, actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions }));
    }
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
  }
}
