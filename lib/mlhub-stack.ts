import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MlHubHttpApi } from './api/mlhub-http-api';
import { sagemakerEndpointArns, type StackConfig } from './config/stack-config';
import { RouteFunctions } from './functions/route-functions';
import { MlHubStorage } from './storage/mlhub-storage';

export interface MlHubStackProps extends StackProps {
  readonly config: StackConfig;
}

/** The stack's id (and CloudFormation name) for a stage. */
export const stackIdFor = (stage: string): string => `MlHub-${stage}`;

/** MLHub in one stack: storage, one function per route wired to it, and the HTTP API in front. */
export class MlHubStack extends Stack {
  readonly config: StackConfig;
  readonly storage: MlHubStorage;
  readonly functions: RouteFunctions;
  readonly httpApi: MlHubHttpApi;

  constructor(scope: Construct, id: string, props: MlHubStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.storage = new MlHubStorage(this, 'Storage', {
      removalPolicy,
      corsOrigins: config.corsOrigins,
      noncurrentVersionDays: config.noncurrentVersionDays,
    });
    this.functions = new RouteFunctions(this, 'Functions', {
      storage: this.storage,
      modelEndpointArns: sagemakerEndpointArns(config.modelBackends),
      logRetention: config.logRetentionDays,
      removalPolicy,
    });
    this.httpApi = new MlHubHttpApi(this, 'Http', {
      functions: this.functions,
      corsOrigins: config.corsOrigins,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      logRetention: config.logRetentionDays,
      removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.url, description: 'Base URL of the MLHub API' });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName, description: 'DynamoDB table holding model metadata' });
    new CfnOutput(this, 'BundleBucketName', { value: this.storage.bundleBucket.bucketName, description: 'S3 bucket holding model bundles' });
  }
}
