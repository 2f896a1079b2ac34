import { join } from 'node:path';
import { Duration, Size, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal, type PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing, type ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IDENTITY_ENV } from '../../functions/identity/identity-config';
import { HANDLER_NODE_OPTIONS, PROJECT_ROOT, handlerEntry, nodejsFunctionBundling } from './handler-bundling';

/**
 * Pinned rather than "latest": a runtime change is a deliberate, tested upgrade, not a side
 * effect of upgrading aws-cdk-lib. Node.js 24 (Lambda support until 2028-04-30; nodejs22.x is
 * deprecated from 2027-04-30): the handlers are bundled for node20 (handler-bundling.ts), which
 * Node 24 runs, all are async (Node 24's runtime drops callback handlers), and onnxruntime-node's
 * binding is Node-API, whose ABI holds across Node versions.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/** Every function's architecture, and so the one binary the ONNX Runtime layer ships. */
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;

export interface RouteFunctionProps {
  /** Module under functions/handlers/ that exports `handler`. */
  readonly handler: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Layers the handler needs at run time (the ONNX Runtime, for functions that predict); none by default. */
  readonly layers?: readonly ILayerVersion[];
  /** Size of /tmp; Lambda's default (512 MB) when unset. */
  readonly ephemeralStorageMb?: number;
  /**
   * Concurrent executions reserved for (and capped at) this function; unset or 0: unreserved.
   * (Lambda's own 0 would throttle every invocation, which no option means.)
   */
  readonly reservedConcurrentExecutions?: number;
  /** What the function may do to data; none for a function that touches none. */
  readonly dataAccess: readonly PolicyStatement[];
  /** IAM findings the data access is known to raise, each with the reason it stands. */
  readonly dataAccessAcknowledgements?: readonly { readonly id: string; readonly reason: string }[];
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One Lambda function for one handler, with its own role and log group. The role can write only
 * to this function's logs and traces; data access is a separate policy, so an acknowledgement
 * for tracing can never hide a wildcard on data.
 */
export class RouteFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    super(scope, id);
    // Single-user development mode lets every request without credentials act as one user.
    if (IDENTITY_ENV.devUser in props.environment) {
      throw new Error(`${props.handler}: ${IDENTITY_ENV.devUser} is the local runtime's single-user mode and must never reach a deployed function`);
    }

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // Instead of AWSLambdaBasicExecutionRole, which may create and write any log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.handler}: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: nodejsFunctionBundling(props.handler),
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: props.memoryMb,
      ...(props.ephemeralStorageMb !== undefined ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMb) } : {}),
      ...(props.layers?.length ? { layers: [...props.layers] } : {}),
      ...(props.reservedConcurrentExecutions ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      timeout: Duration.seconds(props.timeoutSeconds),
      description: props.description,
      environment: { ...props.environment, NODE_OPTIONS: HANDLER_NODE_OPTIONS },
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
    });

    // The data grants go into the role's one policy, beside the log-group and tracing grants: a
    // policy of their own per function cost a CloudFormation resource each, and the stack is held
    // to CloudFormation's 500. The function depends on the role, and so on its default policy: the
    // first invocation does not race the grants' attachment.
    for (const statement of props.dataAccess) this.role.addToPrincipalPolicy(statement);

    // No AwsSolutions-L1 acknowledgement: the pinned runtime is the latest Node.js one. When a newer
    // one comes, cdk-nag stops synth, and moving to it is a tested upgrade (LAMBDA_RUNTIME above).
    const executionPolicy = this.role.node.findChild('DefaultPolicy');
    Validations.of(executionPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; only they are granted on * here (the log grant names the function\'s own log group, the data grants their targets)',
    });
    for (const acknowledgement of props.dataAccessAcknowledgements ?? []) Validations.of(executionPolicy).acknowledge(acknowledgement);
  }
}
