import { ArnFormat, CfnParameter, NestedStack, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { LayerVersion, type ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { CatalogueFunctionsProps, DeployedFunction } from '../functions/catalogue-functions';
import { CatalogueFunctions, JOB_TASK_FUNCTIONS } from '../functions/catalogue-functions';
import { JOB_STATE_MACHINE_ENV } from '../../functions/jobs/job-execution';
import type { RouteFunction } from '../functions/route-function';
import type { MlHubStorage } from '../storage/mlhub-storage';
import { JobStateMachine } from './job-state-machine';

/** The nested stack's parameters, by name: what it takes from the stack (cdk-nag names the bucket's ARN after the bucket's). */
const PARAMETERS = { tableName: 'TableName', bucketName: 'BundleBucketName', onnxLayerArn: 'OnnxRuntimeLayerArn' } as const;

export interface MlHubJobsProps {
  readonly storage: MlHubStorage;
  readonly onnxRuntimeLayer: ILayerVersion;
  /** The inference configuration the task functions that run models get, as the predict functions do. */
  readonly inference: NonNullable<CatalogueFunctionsProps['inference']>;
  /** The state machine's name: unique in the account and region (the stack's name and `-jobs`). */
  readonly stateMachineName: string;
  readonly maxConcurrency: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Batch jobs in the cloud, in a nested stack of their own (CloudFormation counts a nested stack
 * as one resource of its parent, which is held to 500): the job state machine
 * (lib/jobs/job-state-machine.ts) and its three task functions, built from the function
 * catalogue (JOB_TASK_FUNCTIONS) as the stack builds the others, with predict's inference
 * configuration and the ONNX Runtime layer for the two that run models. It takes the table, the
 * bundle bucket and the layer as parameters, by name and ARN.
 */
export class MlHubJobs extends NestedStack {
  readonly tasks: CatalogueFunctions;
  readonly jobStateMachine: JobStateMachine;

  constructor(scope: Construct, id: string, props: MlHubJobsProps) {
    super(scope, id, {
      description: 'MLHub batch jobs: the job state machine and its task functions',
      parameters: {
        [PARAMETERS.tableName]: props.storage.table.tableName,
        [PARAMETERS.bucketName]: props.storage.bundleBucket.bucketName,
        [PARAMETERS.onnxLayerArn]: props.onnxRuntimeLayer.layerVersionArn,
      },
    });
    const parameter = (name: string, description: string): string => new CfnParameter(this, name, { type: 'String', description }).valueAsString;
    const table = Table.fromTableName(this, 'Table', parameter(PARAMETERS.tableName, "The MLHub table's name"));
    const bundleBucket = Bucket.fromBucketName(this, 'BundleBucket', parameter(PARAMETERS.bucketName, "The bundle bucket's name"));
    const layer = LayerVersion.fromLayerVersionArn(this, 'OnnxRuntime', parameter(PARAMETERS.onnxLayerArn, 'The ONNX Runtime layer version'));

    this.tasks = new CatalogueFunctions(this, 'Tasks', {
      storage: { table, bundleBucket, bucketArnInFindings: `arn:<AWS::Partition>:s3:::<${PARAMETERS.bucketName}>` },
      functions: JOB_TASK_FUNCTIONS,
      layers: { 'onnx-runtime': layer },
      inference: props.inference,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.jobStateMachine = new JobStateMachine(this, 'StateMachine', {
      tasks: { planJob: this.task('planJob'), runJobChunk: this.task('runJobChunk'), finalizeJob: this.task('finalizeJob') },
      bundleBucket,
      stateMachineName: props.stateMachineName,
      maxConcurrency: props.maxConcurrency,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
  }

  private task(id: 'planJob' | 'runJobChunk' | 'finalizeJob'): Extract<DeployedFunction, { kind: 'state-machine-task' }> {
    return this.tasks.of(id, 'state-machine-task');
  }
}

/**
 * Tells the functions of POST /model/{name}/jobs and DELETE /jobs/{id} the state machine's ARN
 * (MLHUB_JOB_STATE_MACHINE_ARN: functions/jobs/job-execution.ts) and lets each do its one call:
 * createJob StartExecution on this state machine only, cancelJob StopExecution on its executions
 * only (`execution:<name>:*`, since each is named by its job id at run time).
 */
export function wireJobExecutions(jobs: MlHubJobs, stateMachineName: string, routes: { readonly createJob: RouteFunction; readonly cancelJob: RouteFunction }): void {
  const { stateMachine } = jobs.jobStateMachine;
  for (const route of [routes.createJob, routes.cancelJob]) route.function.addEnvironment(JOB_STATE_MACHINE_ENV, stateMachine.stateMachineArn);
  jobs.jobStateMachine.grantStart(routes.createJob.role);
  const executions = Stack.of(routes.cancelJob).formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  routes.cancelJob.role.addToPrincipalPolicy(new PolicyStatement({ sid: 'StopJobExecutions', actions: ['states:StopExecution'], resources: [executions] }));
  Validations.of(routes.cancelJob.role.node.findChild('DefaultPolicy')).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName}:*]`,
    reason: "A job's execution is named by its job id at run time; the pattern covers the job state machine's executions only",
  });
}
