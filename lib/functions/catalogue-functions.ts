import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CATALOGUE_FUNCTIONS, type CatalogueFunction, type CatalogueFunctionOf, type FunctionLayer } from '../../functions/catalogue/function-catalogue';
import type { EventTrigger } from '../../functions/catalogue/function-triggers';
import { describeTrigger } from '../../functions/catalogue/trigger-descriptions';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { accessAcknowledgements, accessStatements, storageAccessTargets, type StorageRefs } from '../access/access-statements';
import { catalogueAccess } from '../access/event-access';
import type { RouteAccess } from '../access/route-access';
import type { MlHubStorage } from '../storage/mlhub-storage';
import { inferenceEnvironment, PREDICT_EPHEMERAL_STORAGE_MB, type InferenceEnvironmentProps } from './inference-runtime';
import { RouteFunction } from './route-function';
import { wireQueueTrigger, type DeployedQueue } from './triggers/queue-source';
import { wireS3Trigger } from './triggers/s3-notification';
import { wireScheduleTrigger } from './triggers/schedule-rule';
import { taskInvokeGrant } from './triggers/state-machine-task';
import { wireTableStreamTrigger, type DeployedTableStream } from './triggers/table-stream-source';

/**
 * The catalogue functions the stack deploys: every one. The event functions are built in the
 * stack itself (EVENT_CATALOGUE_FUNCTIONS, wired to their triggers); the state-machine tasks (the
 * batch job steps) with the job state machine, in its nested stack (JOB_TASK_FUNCTIONS:
 * lib/jobs/mlhub-jobs.ts).
 */
export const STACK_CATALOGUE_FUNCTIONS: readonly CatalogueFunction[] = CATALOGUE_FUNCTIONS;
export const EVENT_CATALOGUE_FUNCTIONS: readonly CatalogueFunction[] = CATALOGUE_FUNCTIONS.filter((fn) => fn.trigger.kind !== 'state-machine-task');
export const JOB_TASK_FUNCTIONS: readonly CatalogueFunction[] = CATALOGUE_FUNCTIONS.filter((fn) => fn.trigger.kind === 'state-machine-task');

/** A catalogue function runs models when it needs the ONNX Runtime layer (planJob, runJobChunk): it gets predict's inference configuration. */
export const runsModels = (fn: CatalogueFunction): boolean => (fn.layers ?? []).includes('onnx-runtime');

export interface CatalogueFunctionsProps {
  /** The stack's storage; for the tasks of a nested stack, the table and bucket it imports, and how cdk-nag names the bucket's ARN there. */
  readonly storage: MlHubStorage | (StorageRefs & { readonly bucketArnInFindings: string });
  /** The functions to build: EVENT_CATALOGUE_FUNCTIONS by default (tests build others). */
  readonly functions?: readonly CatalogueFunction[];
  /** Each function's data access, by id: CATALOGUE_ACCESS by default. */
  readonly access?: (functionId: string) => RouteAccess;
  /** The layer versions the stack has, for functions that name them. */
  readonly layers?: Readonly<Partial<Record<FunctionLayer, ILayerVersion>>>;
  /** What the functions that check bundles are told (`checksBundles` in the catalogue), as environment variables. */
  readonly bundleCheckEnvironment?: Readonly<Record<string, string>>;
  /**
   * What the functions that run models (runsModels) are told about backends, as the predict
   * functions are (lib/functions/inference-runtime.ts), and the SageMaker endpoints they may
   * invoke; none of them may be built without it.
   */
  readonly inference?: Omit<InferenceEnvironmentProps, 'timeoutSeconds' | 'memoryMb'> & { readonly modelEndpointArns: readonly string[] };
  /** Reserved concurrent executions by function id; absent or 0: unreserved. */
  readonly reservedConcurrency?: Readonly<Record<string, number>>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

interface Deployed<Kind extends EventTrigger['kind']> {
  readonly kind: Kind;
  readonly spec: CatalogueFunctionOf<Kind>;
  readonly handler: RouteFunction;
}

/** One catalogue function, deployed with what its trigger needs. */
export type DeployedFunction =
  | Deployed<'s3'> & { readonly failedEvents: Queue }
  | Deployed<'table-stream'> & DeployedTableStream
  | Deployed<'queue'> & DeployedQueue
  | Deployed<'schedule'> & { readonly rule: Rule }
  | Deployed<'state-machine-task'> & { readonly grantInvoke: (stateMachineRole: IGrantable) => Grant };

/** Where a deployed function's events end up after every try failed: its failed-event or dead-letter queue (none for schedules and tasks). */
export function failedEventsOf(deployed: DeployedFunction): Queue | undefined {
  switch (deployed.kind) {
    case 's3':
    case 'table-stream':
      return deployed.failedEvents;
    case 'queue':
      return deployed.deadLetters;
    default:
      return undefined;
  }
}

/**
 * One function per catalogue entry (functions/catalogue/function-catalogue.ts), built as the
 * route functions are (same bundling, runtime, architecture, tracing and own log group), with the
 * entry's memory, timeout and layers, told where the data is and nothing about identity (no user
 * calls them), the bundle limits if it checks bundles, its reserved concurrency if it has one, allowed the data access its CATALOGUE_ACCESS entry gives, and wired to its trigger
 * with the least that trigger needs (lib/functions/triggers/): a bucket notification, an event
 * source mapping on the table's stream or on a queue of its own, an EventBridge rule, or a grant
 * a state machine's role may be given.
 */
export class CatalogueFunctions extends Construct {
  /** By function id. */
  readonly byId: ReadonlyMap<string, DeployedFunction>;

  constructor(scope: Construct, id: string, props: CatalogueFunctionsProps) {
    super(scope, id);
    const { table, bundleBucket } = props.storage;
    const targets = storageAccessTargets(props.storage, props.inference?.modelEndpointArns ?? [], 'bucketArnInFindings' in props.storage ? props.storage.bucketArnInFindings : undefined);
    const accessOf = props.access ?? catalogueAccess;
    const functions = props.functions ?? EVENT_CATALOGUE_FUNCTIONS;
    const queues = functions.flatMap((fn) => (fn.trigger.kind === 'queue' ? [fn.trigger.queue] : []));
    const repeated = queues.find((queue, index) => queues.indexOf(queue) !== index);
    if (repeated) throw new Error(`Two catalogue functions read the queue '${repeated}': each queue has one consumer`);

    const layersOf = (fn: CatalogueFunction): ILayerVersion[] => (fn.layers ?? []).map((name) => {
      const layer = props.layers?.[name];
      if (!layer) throw new Error(`Function '${fn.id}' needs the ${name} layer, which the stack was not given`);
      return layer;
    });

    this.byId = new Map(functions.map((fn): [string, DeployedFunction] => {
      const access = accessOf(fn.id);
      const layers = layersOf(fn);
      const predicts = runsModels(fn);
      if (predicts && !props.inference) throw new Error(`Function '${fn.id}' runs models, and the stack gave no inference configuration for it`);
      const handler = new RouteFunction(this, fn.id, {
        handler: fn.handler,
        description: `${describeTrigger(fn.trigger)}: ${fn.summary}`,
        memoryMb: fn.memoryMb,
        timeoutSeconds: fn.timeoutSeconds,
        environment: {
          [CONFIG_ENV.table]: table.tableName,
          [CONFIG_ENV.bucket]: bundleBucket.bucketName,
          ...(fn.checksBundles ? props.bundleCheckEnvironment : {}),
          ...(predicts && props.inference ? inferenceEnvironment({ ...props.inference, timeoutSeconds: fn.timeoutSeconds, memoryMb: fn.memoryMb }) : {}),
        },
        ...(layers.length > 0 ? { layers } : {}),
        ...(predicts ? { ephemeralStorageMb: PREDICT_EPHEMERAL_STORAGE_MB } : {}),
        ...(props.reservedConcurrency?.[fn.id] ? { reservedConcurrentExecutions: props.reservedConcurrency[fn.id] } : {}),
        dataAccess: accessStatements(access, targets),
        dataAccessAcknowledgements: accessAcknowledgements(access, targets),
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      return [fn.id, this.wire(handler, fn, props)];
    }));
  }

  /** The deployed function `id`, which must have a trigger of `kind`. */
  of<Kind extends EventTrigger['kind']>(id: string, kind: Kind): Extract<DeployedFunction, { kind: Kind }> {
    const deployed = this.byId.get(id);
    if (!deployed || deployed.kind !== kind) throw new Error(`No ${kind} function '${id}' in this stack`);
    return deployed as Extract<DeployedFunction, { kind: Kind }>;
  }

  private wire(handler: RouteFunction, fn: CatalogueFunction, props: CatalogueFunctionsProps): DeployedFunction {
    const { trigger } = fn;
    switch (trigger.kind) {
      case 's3': {
        const spec = fn as CatalogueFunctionOf<'s3'>;
        const bucket = props.storage.bundleBucket;
        // Notifications are configured on the bucket's own resource: the stack that built it.
        if (!(bucket instanceof Bucket)) throw new Error(`Function '${fn.id}' is triggered by the bundle bucket's notifications: build it in the stack that holds the bucket`);
        return { kind: 's3', spec, handler, failedEvents: wireS3Trigger(handler, spec, { 'bundle-bucket': bucket }, { logRetention: props.logRetention, removalPolicy: props.removalPolicy }) };
      }
      case 'table-stream': {
        const spec = fn as CatalogueFunctionOf<'table-stream'>;
        return { kind: 'table-stream', spec, handler, ...wireTableStreamTrigger(handler, spec, props.storage.table, props.removalPolicy) };
      }
      case 'queue': {
        const spec = fn as CatalogueFunctionOf<'queue'>;
        return { kind: 'queue', spec, handler, ...wireQueueTrigger(handler, spec, props.removalPolicy) };
      }
      case 'schedule': {
        const spec = fn as CatalogueFunctionOf<'schedule'>;
        return { kind: 'schedule', spec, handler, rule: wireScheduleTrigger(handler, spec) };
      }
      case 'state-machine-task':
        return { kind: 'state-machine-task', spec: fn as CatalogueFunctionOf<'state-machine-task'>, handler, grantInvoke: taskInvokeGrant(handler) };
    }
  }
}
