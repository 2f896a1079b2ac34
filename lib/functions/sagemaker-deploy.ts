import { Aws, Stack, Validations } from 'aws-cdk-lib';
import { Effect, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthScratchDir } from './synth-scratch';
import { BUNDLE_ROOT } from '../../functions/bundles/bundle-keys';
import { DEFAULT_DEPLOY_PREFIX, DEPLOY_ENV } from '../../functions/frameworks/deploy-settings';
import { buildScriptsArchive, DEFAULT_SCRIPTS_DIR, hasScripts } from '../../functions/frameworks/scripts-archive';
import { DEPLOYABLE_FRAMEWORKS, type DeployableFramework } from '../../functions/frameworks/serving-path';
import type { RouteId } from '../../functions/routes/route-table';
import type { RouteFunction } from './route-function';

/** What each route's function may ask SageMaker, on MLHub's resources alone (functions/frameworks/version-deployments.ts). */
export const DEPLOY_ACCESS: Readonly<Partial<Record<RouteId, readonly string[]>>> = {
  // Creates the three resources, passing the execution role to the model.
  deployVersion: ['sagemaker:CreateModel', 'sagemaker:CreateEndpointConfig', 'sagemaker:CreateEndpoint'],
  // Reads the endpoint's state while it is created or deleted.
  getDeployment: ['sagemaker:DescribeEndpoint'],
  // Tear down: the deploy's DELETE, and deleting a version or a whole model (version-removal.ts).
  undeployVersion: ['sagemaker:DeleteEndpoint', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DeleteModel'],
  deleteVersion: ['sagemaker:DeleteEndpoint', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DeleteModel'],
  deleteModel: ['sagemaker:DeleteEndpoint', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DeleteModel'],
  // Predictions run on a deployed version's endpoint, and settle one still being created or deleted (deployment-settling.ts).
  predictModel: ['sagemaker:InvokeEndpoint', 'sagemaker:DescribeEndpoint'],
  predictModelWithGet: ['sagemaker:InvokeEndpoint', 'sagemaker:DescribeEndpoint'],
};

export interface SageMakerDeployProps {
  readonly bundleBucket: IBucket;
  /** The route functions, by route id: those in DEPLOY_ACCESS get their grants. */
  readonly functions: ReadonlyMap<string, RouteFunction>;
  /** Largest MemorySizeInMB and MaxConcurrency a deploy may ask for. */
  readonly maxMemoryMb: number;
  readonly maxConcurrency: number;
  /** Most deployed versions per model, and per user over their models (version-deployments.ts's caps). */
  readonly perModel: number;
  readonly perUser: number;
  /** Whether the endpoints' scripts may load pickles (the operator's decision). */
  readonly allowPickles: boolean;
  /** Where the framework scripts are; frameworks without an inference.py there cannot be deployed. */
  readonly scriptsDir?: string;
  readonly prefix?: string;
}

/**
 * Deploying versions to SageMaker serverless endpoints:
 * - each framework's scripts archive (inference.py beside mlhub_serving/) as an S3 asset, named to
 *   the deploy function in MLHUB_DEPLOY_SCRIPTS (SAGEMAKER_SUBMIT_DIRECTORY);
 * - the one execution role every endpoint runs with, which SageMaker alone may assume: it may read
 *   bundle objects (under the bucket's models/ prefix) and the scripts archives, and write the
 *   endpoints' CloudWatch logs, and nothing else;
 * - each route function's SageMaker actions (DEPLOY_ACCESS) on resources named with MLHub's
 *   prefix, and iam:PassRole on the execution role alone, to SageMaker alone, for the deploy function.
 */
export class SageMakerDeploy extends Construct {
  readonly executionRole: Role;
  readonly scripts: ReadonlyMap<DeployableFramework, Asset>;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: SageMakerDeployProps) {
    super(scope, id);
    const prefix = props.prefix ?? DEFAULT_DEPLOY_PREFIX;
    this.prefix = prefix;
    const scriptsDir = props.scriptsDir ?? DEFAULT_SCRIPTS_DIR;
    // The archives are built here, deterministically, so their asset hashes change only with the scripts.
    const staging = synthScratchDir('mlhub-scripts-');
    this.scripts = new Map(DEPLOYABLE_FRAMEWORKS.filter((framework) => hasScripts(framework, scriptsDir)).map((framework) => {
      const path = join(staging, `${framework}.tar.gz`);
      writeFileSync(path, buildScriptsArchive(framework, scriptsDir).bytes);
      return [framework, new Asset(this, `${framework}Scripts`, { path })];
    }));

    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description: "Runs MLHub's SageMaker endpoints: reads bundles and the scripts archives, writes the endpoints' logs",
    });
    const logGroups = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/${prefix}*`;
    const bundleObjects = props.bundleBucket.arnForObjects(`${BUNDLE_ROOT}*`);
    const executionPolicy = new Policy(this, 'ExecutionPolicy', {
      roles: [this.executionRole],
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:GetObject'],
          resources: [bundleObjects, ...[...this.scripts.values()].map((asset) => `arn:${Aws.PARTITION}:s3:::${asset.s3BucketName}/${asset.s3ObjectKey}`)],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [logGroups, `${logGroups}:log-stream:*`],
        }),
      ],
    });
    Validations.of(executionPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId(props.bundleBucket)}.Arn>/${BUNDLE_ROOT}*]`,
      reason: 'An endpoint reads its version\'s bundle object, whose key is made per upload at run time (functions/bundles/bundle-keys.ts); the bundle prefix is the narrowest pattern covering every deployable bundle',
    });
    Validations.of(executionPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/${prefix}*]`,
      reason: "SageMaker names each endpoint's log group after the endpoint, and MLHub names endpoints per version at run time under its prefix",
    });
    Validations.of(executionPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/${prefix}*:log-stream:*]`,
      reason: 'SageMaker makes one log stream per endpoint variant and instance, named at run time',
    });

    const arn = (kind: string) => `arn:${Aws.PARTITION}:sagemaker:${Aws.REGION}:${Aws.ACCOUNT_ID}:${kind}/${prefix}*`;
    const resourcesFor = (actions: readonly string[]): string[] => [...new Set(actions.map((action) =>
      action.endsWith('EndpointConfig') ? arn('endpoint-config') : action.endsWith('Model') ? arn('model') : arn('endpoint')))];
    for (const [routeId, actions] of Object.entries(DEPLOY_ACCESS) as [RouteId, readonly string[]][]) {
      const routeFunction = props.functions.get(routeId);
      if (!routeFunction) continue;
      const resources = resourcesFor(actions);
      const statements = [new PolicyStatement({ effect: Effect.ALLOW, actions: [...actions], resources })];
      if (routeId === 'deployVersion') {
        statements.push(new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['iam:PassRole'],
          resources: [this.executionRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }));
      }
      const policy = new Policy(routeFunction, 'DeployAccess', { statements, roles: [routeFunction.role] });
      routeFunction.function.node.addDependency(policy);
      for (const resource of resources) {
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${resource.replace(Aws.PARTITION, '<AWS::Partition>').replace(Aws.REGION, '<AWS::Region>').replace(Aws.ACCOUNT_ID, '<AWS::AccountId>')}]`,
          reason: `MLHub names each version's SageMaker resources at run time under its prefix '${prefix}' (functions/frameworks/deployment-records.ts); the prefix keeps every other resource in the account out of reach`,
        });
      }
    }
    // Every route that shows a version says whether it is deployable, and a pickle is not when endpoints may not load one.
    for (const routeFunction of props.functions.values()) routeFunction.function.addEnvironment(DEPLOY_ENV.allowPickles, props.allowPickles ? '1' : '0');
    props.functions.get('deployVersion')?.function
      .addEnvironment(DEPLOY_ENV.roleArn, this.executionRole.roleArn)
      .addEnvironment(DEPLOY_ENV.scripts, JSON.stringify(Object.fromEntries([...this.scripts].map(([framework, asset]) => [framework, asset.s3ObjectUrl]))))
      .addEnvironment(DEPLOY_ENV.prefix, prefix)
      .addEnvironment(DEPLOY_ENV.maxMemoryMb, String(props.maxMemoryMb))
      .addEnvironment(DEPLOY_ENV.maxConcurrency, String(props.maxConcurrency))
      .addEnvironment(DEPLOY_ENV.maxPerModel, String(props.perModel))
      .addEnvironment(DEPLOY_ENV.maxPerOwner, String(props.perUser));
  }
}

/** The bucket's logical id, as cdk-nag names its ARN (`<LogicalId.Arn>`). */
const bucketLogicalId = (bucket: IBucket): string => Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnBucket);
