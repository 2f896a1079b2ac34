import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice, Condition, DefinitionBody, DistributedMap, Errors, Fail, JsonPath, LogLevel, Pass, ResultWriterV2, S3JsonLItemReader,
  StateMachine, StateMachineType, TaskInput, type CfnStateMachine, type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type LambdaInvokeProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { manifestKey } from '../../functions/jobs/job-keys';
import { STEP_ATTEMPTS, STEP_BACKOFF_RATE } from '../../functions/jobs/job-retries';
import { jobPrefix } from '../../functions/jobs/outputs/job-output-keys';
import type { DeployedFunction } from '../functions/catalogue-functions';

type TaskFunction = Extract<DeployedFunction, { kind: 'state-machine-task' }>;

/** The errors Lambda's service raises (throttles, its own faults), beside the function's own (States.TaskFailed matches both). */
export const LAMBDA_SERVICE_ERRORS = ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/**
 * Each task's Retry, as the local runner retries a step (functions/jobs/job-retries.ts): every
 * task failure, Lambda's service errors included, tried STEP_ATTEMPTS times in all, the waits
 * growing by STEP_BACKOFF_RATE from 1 s (Step Functions' shortest interval).
 */
export const JOB_STEP_RETRY: RetryProps = {
  errors: [...LAMBDA_SERVICE_ERRORS, Errors.TASKS_FAILED],
  interval: Duration.seconds(1),
  maxAttempts: STEP_ATTEMPTS - 1,
  backoffRate: STEP_BACKOFF_RATE,
};

/** The manifests the Distributed Map reads (functions/jobs/job-keys.ts), as an S3 key pattern. */
export const MANIFEST_OBJECTS_PATTERN = manifestKey('*');
/** The Map Run results the ResultWriter writes, under each job's prefix (jobs/<id>/map/<map run>/...). */
export const MAP_RESULTS_PREFIX_FORMAT = `${jobPrefix('{}')}map`;
export const MAP_RESULTS_PATTERN = `${jobPrefix('*')}map/*`;

/**
 * A Lambda task of the job state machine: the function's result is the state's output
 * (payloadResponseOnly), its retries are JOB_STEP_RETRY only (not LambdaInvoke's own six on
 * service errors), and the state machine's role is granted the invocation by the catalogue's
 * grant (lib/functions/triggers/state-machine-task.ts: the function's ARN, not `:*`, its versions),
 * so the task adds none of its own.
 */
class JobStepTask extends LambdaInvoke {
  protected override readonly taskPolicies = undefined;

  constructor(scope: Construct, id: string, props: Omit<LambdaInvokeProps, 'payloadResponseOnly' | 'retryOnServiceExceptions'>) {
    super(scope, id, { ...props, payloadResponseOnly: true, retryOnServiceExceptions: false });
    this.addRetry(JOB_STEP_RETRY);
  }
}

/** The JSON Lines manifest ItemReader, reading manifests only (CDK's own would grant GetObject on the whole bucket). */
class ManifestReader extends S3JsonLItemReader {
  constructor(private readonly bundleBucket: IBucket) {
    super({ bucketNamePath: JsonPath.stringAt('$.manifest.bucket'), key: JsonPath.stringAt('$.manifest.key') });
  }

  override providePolicyStatements(): PolicyStatement[] {
    return [new PolicyStatement({ sid: 'ReadJobManifests', actions: ['s3:GetObject'], resources: [this.bundleBucket.arnForObjects(MANIFEST_OBJECTS_PATTERN)] })];
  }
}

/** The ResultWriter, writing under jobs/<id>/map/ only (CDK's own would grant the whole bucket). */
class MapResultsWriter extends ResultWriterV2 {
  constructor(private readonly bundleBucket: IBucket) {
    super({ bucketNamePath: JsonPath.stringAt('$.manifest.bucket'), prefix: JsonPath.stringAt('$.map.prefix') });
  }

  override providePolicyStatements(): PolicyStatement[] {
    // What Step Functions' ResultWriter calls: a multipart upload of each results file.
    return [new PolicyStatement({
      sid: 'WriteMapResults',
      actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      resources: [this.bundleBucket.arnForObjects(MAP_RESULTS_PATTERN)],
    })];
  }
}

export interface JobStateMachineProps {
  readonly tasks: { readonly planJob: TaskFunction; readonly runJobChunk: TaskFunction; readonly finalizeJob: TaskFunction };
  readonly bundleBucket: IBucket;
  /** The state machine's name (its executions' ARNs are derived from it: functions/jobs/step-functions-executions.ts). */
  readonly stateMachineName: string;
  /** Chunks of one job at once: the Distributed Map's MaxConcurrency (the stack option jobConcurrency). */
  readonly maxConcurrency: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The batch job state machine (issue 15), as the local runner (local/jobs/local-job-runner.ts)
 * plays it, every state's data ids, keys and counts only (never rows: Step Functions' 256 KB):
 *
 *   Plan (planJob {jobId}) ──▶ Planned? ── state = running ──▶ MapResultsPrefix ──▶ Chunks ──▶ Finalize (finalizeJob {jobId})
 *                                  └──────── otherwise (the job ended while planned) ──────────────────▶ Finalize
 *   Chunks: a Distributed Map over the manifest the plan wrote (ItemReader: JSON Lines at
 *   $.manifest.bucket/key), MaxConcurrency jobConcurrency, each item {jobId, chunk} run by
 *   RunChunk (runJobChunk), whose Catch runs it once more with `failure` (RunChunkAsFailed: the
 *   chunk's rows are written as failed, and the job's on_error decides, in finalizeJob);
 *   ToleratedFailurePercentage 0, as the local runner ends a job at a chunk that failed even
 *   that; ResultWriter to jobs/<id>/map/; its own result discarded (ResultPath null).
 *   Every task: JOB_STEP_RETRY. A Catch on Plan, Chunks and Finalize goes to
 *   FinalizeAfterFailure (finalizeJob {jobId, failure}), which fails the job with the error, as the
 *   local runner's catch does, so a job never stays queued or running; the execution then fails.
 * A cancelled job (its record) runs no more chunk work: each item left returns at once.
 */
export class JobStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: JobStateMachineProps) {
    super(scope, id);
    const { tasks } = props;
    const jobId = JsonPath.stringAt('$.jobId');
    const failure = JsonPath.stringAt('$.error.Cause');

    const afterFailure = new JobStepTask(this, 'FinalizeAfterFailure', {
      comment: 'A step failed every try: fails the job with the error (unless it ended), then ends it',
      lambdaFunction: tasks.finalizeJob.handler.function,
      payload: TaskInput.fromObject({ jobId, failure }),
      resultPath: JsonPath.DISCARD,
    }).next(new Fail(this, 'StepFailedEveryTry', { error: 'JobStepFailed', causePath: JsonPath.stringAt('$.error.Cause') }));
    const onFailure = { errors: [Errors.ALL], resultPath: '$.error' };

    const plan = new JobStepTask(this, 'Plan', {
      comment: 'Writes the chunk manifest and the plan, and moves the job to running',
      lambdaFunction: tasks.planJob.handler.function,
      payload: TaskInput.fromObject({ jobId }),
    }).addCatch(afterFailure, onFailure);

    const runChunk = new JobStepTask(this, 'RunChunk', {
      comment: 'One chunk: its part written and counted once',
      lambdaFunction: tasks.runJobChunk.handler.function,
      payload: TaskInput.fromObject({ jobId, chunk: JsonPath.objectAt('$.chunk') }),
    });
    const runChunkAsFailed = new JobStepTask(this, 'RunChunkAsFailed', {
      comment: "The chunk failed every try: its rows are written and counted as failed, with the error",
      lambdaFunction: tasks.runJobChunk.handler.function,
      payload: TaskInput.fromObject({ jobId, chunk: JsonPath.objectAt('$.chunk'), failure }),
    });
    runChunk.addCatch(runChunkAsFailed, onFailure);

    const chunks = new DistributedMap(this, 'Chunks', {
      comment: "Every chunk of the manifest, jobConcurrency at once",
      itemReader: new ManifestReader(props.bundleBucket),
      itemSelector: { jobId, chunk: JsonPath.objectAt('$$.Map.Item.Value') },
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: 0,
      resultWriterV2: new MapResultsWriter(props.bundleBucket),
      resultPath: JsonPath.DISCARD,
      mapExecutionType: StateMachineType.STANDARD,
      label: 'Chunks',
    });
    chunks.itemProcessor(runChunk);
    chunks.addCatch(afterFailure, onFailure);

    const finalize = new JobStepTask(this, 'Finalize', {
      comment: 'Assembles the results and errors files, and decides the job',
      lambdaFunction: tasks.finalizeJob.handler.function,
      payload: TaskInput.fromObject({ jobId }),
    }).addCatch(afterFailure, onFailure);

    const resultsPrefix = new Pass(this, 'MapResultsPrefix', {
      comment: "Where the ResultWriter writes: under the job's prefix",
      parameters: { prefix: JsonPath.format(MAP_RESULTS_PREFIX_FORMAT, jobId) },
      resultPath: '$.map',
    });
    const definition = plan.next(new Choice(this, 'Planned')
      .when(Condition.stringEquals('$.state', 'running'), resultsPrefix.next(chunks).next(finalize))
      .otherwise(finalize));

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      comment: 'MLHub batch jobs: plan, a Distributed Map of chunks, finalize (lib/jobs/job-state-machine.ts)',
      definitionBody: DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      removalPolicy: props.removalPolicy,
    });
    for (const task of Object.values(tasks)) task.grantInvoke(this.stateMachine.role);
    this.acknowledgeFindings(props.bundleBucket);
  }

  /** Lets `grantee` start executions of this state machine, and nothing else (createJob). */
  grantStart(grantee: IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * The cdk-nag IAM5 findings of the role, each by design: the manifests and Map Run results are
   * per job; X-Ray and CloudWatch Logs' delivery take no resource; and the Distributed Map policy
   * (CDK's, after AWS's "IAM policies for Distributed Map states") names the child executions,
   * made per item, and their redrive.
   */
  private acknowledgeFindings(bundleBucket: IBucket): void {
    const bucket = Stack.of(this).resolve(bundleBucket.bucketName) as { Ref?: string };
    const bucketArn = `arn:<AWS::Partition>:s3:::<${bucket.Ref ?? ''}>`;
    const role = this.stateMachine.role.node.findChild('DefaultPolicy');
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${MANIFEST_OBJECTS_PATTERN}]`,
      reason: "A manifest's key is made per job at run time (functions/jobs/job-keys.ts); the pattern covers the jobs' manifests only",
    }, {
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${MAP_RESULTS_PATTERN}]`,
      reason: "The ResultWriter writes under each job's own prefix (jobs/<id>/map/), made per job at run time",
    }, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs\' log delivery (CreateLogDelivery and the like) support no resource-level permissions; only they are granted on * here',
    });
    const machine = Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as CfnStateMachine);
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machine}"}]}]}`;
    Validations.of(this.stateMachine.node.findChild('DistributedMapPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${executions}:*]`,
      reason: "The Distributed Map's child executions are made per item at run time; the pattern covers this state machine's executions only",
    }, {
      id: `AwsSolutions-IAM5[Resource::${executions}/Chunks:*]`,
      reason: "Redriving the Map Run of the Chunks state, made per execution; this state machine's only",
    });
  }
}
