import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MlHubHttpApi } from './api/mlhub-http-api';
import { identitySource, sagemakerEndpointArns, type StackConfig } from './config/stack-config';
import { functionsTriggeredBy } from '../functions/catalogue/function-catalogue';
import { CatalogueFunctions, failedEventsOf } from './functions/catalogue-functions';
import { RouteFunctions } from './functions/route-functions';
import { MlHubIdentity } from './identity/mlhub-identity';
import { MlHubStorage } from './storage/mlhub-storage';

export interface MlHubStackProps extends StackProps {
  readonly config: StackConfig;
}

/** The stack's id (and CloudFormation name) for a stage. */
export const stackIdFor = (stage: string): string => `MlHub-${stage}`;

/**
 * MLHub in one stack: storage, identity (its own Cognito user pool, or an external issuer), one
 * function per route wired to both, the HTTP API in front, and one function per entry of the
 * function catalogue, wired to its trigger (the upload finalizer to the bundle bucket's
 * notifications, the pending-version sweep to an EventBridge rule).
 */
export class MlHubStack extends Stack {
  readonly config: StackConfig;
  readonly storage: MlHubStorage;
  readonly identity: MlHubIdentity;
  readonly functions: RouteFunctions;
  readonly catalogueFunctions: CatalogueFunctions;
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
      tableStream: functionsTriggeredBy('table-stream').length > 0,
    });
    this.identity = new MlHubIdentity(this, 'Identity', { source: identitySource(config), removalPolicy });
    this.functions = new RouteFunctions(this, 'Functions', {
      storage: this.storage,
      identityEnvironment: this.identity.functionEnvironment,
      ...(this.identity.userStatus ? { userStatus: this.identity.userStatus } : {}),
      modelEndpointArns: sagemakerEndpointArns(config.modelBackends),
      inference: { modelBackends: config.modelBackends, backendUrlAllowlist: config.backendUrlAllowlist },
      uploads: { maxBundleBytes: config.maxBundleBytes, presignSeconds: config.presignSeconds },
      rateLimits: config.rateLimits,
      logRetention: config.logRetentionDays,
      removalPolicy,
    });
    this.catalogueFunctions = new CatalogueFunctions(this, 'Events', {
      storage: this.storage,
      layers: { 'onnx-runtime': this.functions.onnxRuntimeLayer?.layerVersion },
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
    for (const deployed of this.catalogueFunctions.byId.values()) {
      const failedEvents = failedEventsOf(deployed);
      if (!failedEvents) continue;
      const id = `${deployed.spec.id.charAt(0).toUpperCase()}${deployed.spec.id.slice(1)}FailedEvents`;
      new CfnOutput(this, id, { value: failedEvents.queueUrl, description: `SQS queue holding ${deployed.spec.id} events that failed every try, with their errors` });
    }
    new CfnOutput(this, 'OidcIssuer', { value: this.identity.issuer, description: 'Issuer (iss) of the sign-in tokens MLHub accepts' });
    const { userPool, userPoolClient } = this.identity;
    if (userPool && userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId, description: 'Cognito user pool holding MLHub accounts' });
      new CfnOutput(this, 'UserPoolClientId', { value: userPoolClient.userPoolClientId, description: 'App client to sign in through (no secret): the aud of accepted ID tokens' });
    }
  }
}
