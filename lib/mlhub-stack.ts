import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { MlHubHttpApi } from './api/mlhub-http-api';
import { doiPublishing, identitySource, sagemakerEndpointArns, type StackConfig } from './config/stack-config';
import { functionsTriggeredBy } from '../functions/catalogue/function-catalogue';
import { ROUTES } from '../functions/routes/route-table';
import { CONFIG_ENV } from '../functions/platform/function-config';
import { PUBLISHING_ENV } from '../functions/publishing/publishing-config';
import { CatalogueFunctions, failedEventsOf } from './functions/catalogue-functions';
import { DataCitePublishing } from './functions/datacite-publishing';
import { PREDICT_MODEL_CACHE_BYTES } from './functions/inference-runtime';
import { RouteFunctions } from './functions/route-functions';
import { SageMakerDeploy } from './functions/sagemaker-deploy';
import { MlHubIdentity } from './identity/mlhub-identity';
import { MlHubJobs, wireJobExecutions } from './jobs/mlhub-jobs';
import { MlHubOperations } from './operations/mlhub-operations';
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
 * notifications, the pending-version sweep to an EventBridge rule). With the doiPrefix option, the
 * publish route and registerDois are wired to DataCite (lib/functions/datacite-publishing.ts).
 */
export class MlHubStack extends Stack {
  readonly config: StackConfig;
  readonly storage: MlHubStorage;
  readonly identity: MlHubIdentity;
  readonly functions: RouteFunctions;
  readonly catalogueFunctions: CatalogueFunctions;
  readonly httpApi: MlHubHttpApi;
  /** Publishing with DOIs through DataCite; undefined without the doiPrefix option. */
  readonly publishing: DataCitePublishing | undefined;
  readonly operations: MlHubOperations;
  /** Deploying versions to SageMaker: the execution role, the scripts archives and the functions' grants. */
  readonly deploy: SageMakerDeploy;
  /** Batch jobs: the job state machine and its task functions, in a nested stack (lib/jobs/mlhub-jobs.ts). */
  readonly jobs: MlHubJobs;

  constructor(scope: Construct, id: string, props: MlHubStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.storage = new MlHubStorage(this, 'Storage', {
      removalPolicy,
      corsOrigins: config.corsOrigins,
      noncurrentVersionDays: config.noncurrentVersionDays,
      // The access logs follow the stack's log retention; INFINITE keeps them, as it keeps the log groups.
      ...(config.logRetentionDays !== RetentionDays.INFINITE ? { accessLogDays: config.logRetentionDays } : {}),
      tableStream: functionsTriggeredBy('table-stream').length > 0,
    });
    this.identity = new MlHubIdentity(this, 'Identity', { source: identitySource(config), removalPolicy });
    this.functions = new RouteFunctions(this, 'Functions', {
      storage: this.storage,
      identityEnvironment: this.identity.functionEnvironment,
      ...(this.identity.userStatus ? { userStatus: this.identity.userStatus } : {}),
      modelEndpointArns: sagemakerEndpointArns(config.modelBackends),
      inference: { modelBackends: config.modelBackends, backendUrlAllowlist: config.backendUrlAllowlist, backendAssignments: config.backendAssignments },
      uploads: { maxBundleBytes: config.maxBundleBytes, maxUnpackedBytes: config.maxUnpackedBytes, builtinModelBytes: PREDICT_MODEL_CACHE_BYTES, presignSeconds: config.presignSeconds },
      predictReservedConcurrency: config.predictReservedConcurrency,
      rateLimits: config.rateLimits,
      corsOrigins: config.corsOrigins,
      logRetention: config.logRetentionDays,
      removalPolicy,
    });
    this.deploy = new SageMakerDeploy(this, 'Deploy', {
      bundleBucket: this.storage.bundleBucket,
      functions: this.functions.byRoute,
      maxMemoryMb: config.endpointMaxMemoryMb,
      maxConcurrency: config.endpointMaxConcurrency,
      perModel: config.endpointsPerModel,
      perUser: config.endpointsPerUser,
      allowPickles: config.endpointPickles,
    });
    this.catalogueFunctions = new CatalogueFunctions(this, 'Events', {
      storage: this.storage,
      layers: { 'onnx-runtime': this.functions.onnxRuntimeLayer?.layerVersion },
      bundleCheckEnvironment: { [CONFIG_ENV.maxUnpackedBytes]: String(config.maxUnpackedBytes), [CONFIG_ENV.builtinModelBytes]: String(PREDICT_MODEL_CACHE_BYTES) },
      // The search indexer keeps the one index in memory and orders the log's snapshots: one at a time.
      reservedConcurrency: { finalizeUpload: config.finalizerReservedConcurrency, indexModels: 1 },
      logRetention: config.logRetentionDays,
      removalPolicy,
    });
    const onnxRuntimeLayer = this.functions.onnxRuntimeLayer?.layerVersion;
    const createJob = this.functions.byRoute.get('createJob');
    const cancelJob = this.functions.byRoute.get('cancelJob');
    if (!onnxRuntimeLayer || !createJob || !cancelJob) throw new Error('Batch jobs need the ONNX Runtime layer and the createJob and cancelJob routes');
    const jobStateMachineName = `${this.stackName}-jobs`;
    this.jobs = new MlHubJobs(this, 'Jobs', {
      storage: this.storage,
      onnxRuntimeLayer,
      inference: { modelBackends: config.modelBackends, backendUrlAllowlist: config.backendUrlAllowlist, backendAssignments: config.backendAssignments, modelEndpointArns: sagemakerEndpointArns(config.modelBackends) },
      stateMachineName: jobStateMachineName,
      maxConcurrency: config.jobConcurrency,
      logRetention: config.logRetentionDays,
      removalPolicy,
    });
    wireJobExecutions(this.jobs, jobStateMachineName, { createJob, cancelJob });
    this.httpApi = new MlHubHttpApi(this, 'Http', {
      functions: this.functions,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      routeThrottles: config.routeThrottles,
      logRetention: config.logRetentionDays,
      removalPolicy,
    });
    const publishing = doiPublishing(config);
    const publishVersion = this.functions.byRoute.get('publishVersion');
    if (publishing && !publishVersion) throw new Error('The route table has no publishVersion route to publish DOIs with');
    this.publishing = publishing && publishVersion
      ? new DataCitePublishing(this, 'Publishing', {
        publishing,
        requester: publishVersion,
        senders: [
          ...(['deleteVersion', 'deleteModel'] as const).map((route) => this.functions.byRoute.get(route)).filter((sender) => sender !== undefined),
          this.catalogueFunctions.of('sweepVersions', 'schedule').handler,
        ],
        registrar: this.catalogueFunctions.of('registerDois', 'queue'),
        landingBaseUrl: this.httpApi.url,
      })
      : undefined;
    // Citations name the landing pages DOIs resolve to, and the publisher DOIs name, with or without
    // DOI publishing (functions/citations/citation-settings.ts).
    this.functions.byRoute.get('citeModel')?.function.addEnvironment(PUBLISHING_ENV.landingBaseUrl, this.httpApi.url);
    if (publishing) this.functions.byRoute.get('citeModel')?.function.addEnvironment(PUBLISHING_ENV.publisher, publishing.publisher);

    this.operations = new MlHubOperations(this, 'Operations', {
      functions: [
        ...[...this.functions.byRoute].map(([routeId, routeFunction]) => ({ id: routeId, function: routeFunction.function })),
        { id: 'NotRouted', function: this.functions.fallback.function },
        ...[...this.catalogueFunctions.byId.values(), ...this.jobs.tasks.byId.values()].map((deployed) => ({ id: deployed.spec.id, function: deployed.handler.function, timeoutSeconds: deployed.spec.timeoutSeconds })),
      ],
      failedEventQueues: [...this.catalogueFunctions.byId.values()].flatMap((deployed) => {
        const queue = failedEventsOf(deployed);
        return queue ? [{ id: `${deployed.spec.id}FailedEvents`, queue }] : [];
      }),
      routeIds: ROUTES.map((route) => route.id),
      httpApi: this.httpApi.api,
      table: this.storage.table,
      bundleBucket: this.storage.bundleBucket,
      notifications: { topic: config.alarmTopic, email: config.alarmEmail, monthlyBudgetUsd: config.monthlyBudgetUsd },
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
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboard.dashboardName, description: 'CloudWatch dashboard of requests, latency, errors, predictions, upload checks and storage' });
    if (this.operations.alarmTopic) {
      new CfnOutput(this, 'AlarmTopicArn', { value: this.operations.alarmTopic.topic.topicArn, description: 'SNS topic every alarm notifies (subscribe more endpoints here)' });
    }
    new CfnOutput(this, 'OidcIssuer', { value: this.identity.issuer, description: 'Issuer (iss) of the sign-in tokens MLHub accepts' });
    const { userPool, userPoolClient } = this.identity;
    if (userPool && userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId, description: 'Cognito user pool holding MLHub accounts' });
      new CfnOutput(this, 'UserPoolClientId', { value: userPoolClient.userPoolClientId, description: 'App client to sign in through (no secret): the aud of accepted ID tokens' });
    }
  }
}
