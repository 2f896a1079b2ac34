import type { RemovalPolicy } from 'aws-cdk-lib';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_ENV } from '../../functions/http/cors';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { FALLBACK_HANDLER, ROUTES } from '../../functions/routes/route-table';
import { accessAcknowledgements, accessStatements, storageAccessTargets } from '../access/access-statements';
import { rateLimitAccess } from '../access/rate-limit-access';
import { FALLBACK_ACCESS, routeAccess, unionOfAccess, type RouteAccess } from '../access/route-access';
import { authenticates, userStatusAccess } from '../access/user-status-access';
import type { BackendAssignments, ModelBackends } from '../config/stack-config';
import type { RateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import type { MlHubStorage } from '../storage/mlhub-storage';
import { inferenceEnvironment, PREDICT_EPHEMERAL_STORAGE_MB } from './inference-runtime';
import { OnnxRuntimeLayer } from './onnx-runtime-layer';
import { rateLimitEnvironment } from './rate-limit-environment';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, RouteFunction } from './route-function';
import { routeRuntime, type RouteRuntime } from './route-runtime';
import { uploadEnvironment, type UploadSettings } from './upload-environment';

/** The fallback only formats errors: small and quick, whatever the routes need. */
const FALLBACK_SIZE = { memoryMb: 256, timeoutSeconds: 5 } as const;

export interface RouteFunctionsProps {
  readonly storage: MlHubStorage;
  /** Who may vouch for callers, by IDENTITY_ENV name (lib/identity/mlhub-identity.ts). */
  readonly identityEnvironment: Readonly<Record<string, string>>;
  /** The stack's user pool, asked about personal access tokens' users by the functions that authenticate; absent with an external issuer. */
  readonly userStatus?: { readonly userPoolArn: string; readonly environment: Readonly<Record<string, string>> };
  readonly modelEndpointArns: readonly string[];
  /** What the functions that predict are told about backends (lib/functions/inference-runtime.ts). */
  readonly inference: { readonly modelBackends: ModelBackends; readonly backendUrlAllowlist: readonly string[]; readonly backendAssignments?: BackendAssignments };
  /** The size limit and URL lifetime, told to the functions whose routes read them (lib/functions/upload-environment.ts). */
  readonly uploads: UploadSettings;
  /** Reserved concurrent executions of each function that predicts; 0: unreserved. */
  readonly predictReservedConcurrency?: number;
  /** Requests per caller and window by class; each function is told its routes' classes and may update their counters. */
  readonly rateLimits: RateLimitPolicy;
  /** Browser origins allowed to call the API: every function answers CORS for them (functions/http/cors.ts). */
  readonly corsOrigins: readonly string[];
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

interface FunctionSpec {
  readonly handler: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly access: RouteAccess;
  readonly environment: Readonly<Record<string, string>>;
  readonly layers?: readonly ILayerVersion[];
  readonly ephemeralStorageMb?: number;
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One function per route in the route table, plus the fallback, each wired to the storage: told
 * where the data is and who may vouch for callers, and allowed exactly the access its route needs
 * (lib/access/route-access.ts). A function whose route runs predictions (or also answers as one
 * that does) gets the ONNX Runtime layer, the inference configuration and room in /tmp; no other
 * function does; each has the predict reserved concurrency. The functions whose routes start uploads or sign URLs are told the size limit
 * and URL lifetime (lib/functions/upload-environment.ts). The functions of rate-limited routes are
 * told their limits and may update the rate counters (lib/access/rate-limit-access.ts). Every
 * function is told the CORS origins. With the stack's own user pool, the functions that
 * authenticate are told its id and may ask it about a user (AdminGetUser on that pool:
 * lib/access/user-status-access.ts). The fallback authenticates no one and touches no data, so it
 * is told neither where the data is nor who vouches for callers. (Functions run by other triggers: lib/functions/catalogue-functions.ts.)
 */
export class RouteFunctions extends Construct {
  /** By route id. */
  readonly byRoute: ReadonlyMap<string, RouteFunction>;
  /** Answers 404 and 405 for whatever no route takes. */
  readonly fallback: RouteFunction;
  /** onnxruntime-node for the functions that predict; undefined when no route does. */
  readonly onnxRuntimeLayer?: OnnxRuntimeLayer;

  constructor(scope: Construct, id: string, props: RouteFunctionsProps) {
    super(scope, id);
    const { table, bundleBucket } = props.storage;
    const targets = { ...storageAccessTargets(props.storage, props.modelEndpointArns), userPoolArns: props.userStatus ? [props.userStatus.userPoolArn] : [] };
    // Every registry handler builds both stores on first use, so each needs both names.
    const dataLocation = { [CONFIG_ENV.table]: table.tableName, [CONFIG_ENV.bucket]: bundleBucket.bucketName };
    const cors: Record<string, string> = props.corsOrigins.length > 0 ? { [CORS_ENV]: props.corsOrigins.join(',') } : {};

    const build = (functionId: string, spec: FunctionSpec): RouteFunction => new RouteFunction(this, functionId, {
      handler: spec.handler,
      description: spec.description,
      memoryMb: spec.memoryMb,
      timeoutSeconds: spec.timeoutSeconds,
      environment: spec.environment,
      ...(spec.layers ? { layers: spec.layers } : {}),
      ...(spec.ephemeralStorageMb !== undefined ? { ephemeralStorageMb: spec.ephemeralStorageMb } : {}),
      ...(spec.reservedConcurrentExecutions ? { reservedConcurrentExecutions: spec.reservedConcurrentExecutions } : {}),
      dataAccess: accessStatements(spec.access, targets),
      dataAccessAcknowledgements: accessAcknowledgements(spec.access, targets),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    const runtimes = new Map(ROUTES.map((route) => [route.id, routeRuntime(route.id)]));
    if ([...runtimes.values()].some((runtime) => runtime.inference)) {
      this.onnxRuntimeLayer = new OnnxRuntimeLayer(this, 'OnnxRuntime', { architecture: LAMBDA_ARCHITECTURE, runtime: LAMBDA_RUNTIME });
    }
    const layer = this.onnxRuntimeLayer?.layerVersion;

    this.byRoute = new Map(ROUTES.map((route) => {
      const runtime = runtimes.get(route.id) as RouteRuntime;
      const predicts = runtime.inference && layer !== undefined;
      return [route.id, build(route.id, {
        handler: route.handler,
        description: `${route.method} ${route.path}: ${route.summary}`,
        memoryMb: runtime.memoryMb,
        timeoutSeconds: runtime.timeoutSeconds,
        access: unionOfAccess([routeAccess(route.id), rateLimitAccess(route.id, props.rateLimits), props.userStatus ? userStatusAccess(route) : {}]),
        environment: {
          // Every route handler authenticates first (even the open ones build the same services).
          ...dataLocation,
          ...props.identityEnvironment,
          ...cors,
          ...(props.userStatus && authenticates(route) ? props.userStatus.environment : {}),
          ...uploadEnvironment(route.id, props.uploads),
          ...rateLimitEnvironment(route.id, props.rateLimits),
          ...(predicts ? inferenceEnvironment({ ...props.inference, timeoutSeconds: runtime.timeoutSeconds, memoryMb: runtime.memoryMb }) : {}),
        },
        ...(predicts ? { layers: [layer], ephemeralStorageMb: PREDICT_EPHEMERAL_STORAGE_MB } : {}),
        ...(predicts && props.predictReservedConcurrency ? { reservedConcurrentExecutions: props.predictReservedConcurrency } : {}),
      })];
    }));
    this.handOverImageForms(this.byRoute.get('createModel'), this.byRoute.get('predictModel'));
    this.fallback = build('NotRouted', {
      handler: FALLBACK_HANDLER,
      description: 'Answers 404 for unknown paths, 405 for known paths with another method, and OPTIONS (CORS preflights)',
      ...FALLBACK_SIZE,
      access: FALLBACK_ACCESS,
      environment: cors,
    });
  }

  /**
   * The seed's image form posted to POST /model/{name} is answered by the predict function,
   * which createModel's function invokes (functions/handlers/create-model.ts): it is told that
   * function's name and may invoke it, its unqualified ARN only, and nothing else.
   */
  private handOverImageForms(create: RouteFunction | undefined, predict: RouteFunction | undefined): void {
    if (!create || !predict) return;
    create.function.addEnvironment(CONFIG_ENV.predictFunction, predict.function.functionName);
    const invoke = new Policy(create, 'InvokesPredict', {
      statements: [new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [predict.function.functionArn] })],
      roles: [create.role],
    });
    // The first image form must not race the policy's attachment.
    create.function.node.addDependency(invoke);
  }
}
