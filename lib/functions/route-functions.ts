import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { FALLBACK_HANDLER, ROUTES } from '../../functions/routes/route-table';
import { accessAcknowledgements, accessStatements } from '../access/access-statements';
import { FALLBACK_ACCESS, routeAccess, type RouteAccess } from '../access/route-access';
import type { MlHubStorage } from '../storage/mlhub-storage';
import { RouteFunction } from './route-function';

/** The fallback only formats errors: small and quick, whatever the routes need. */
const FALLBACK_SIZE = { memoryMb: 256, timeoutSeconds: 5 } as const;

export interface RouteFunctionsProps {
  readonly storage: MlHubStorage;
  /** Who may vouch for callers, by IDENTITY_ENV name (lib/identity/mlhub-identity.ts). */
  readonly identityEnvironment: Readonly<Record<string, string>>;
  readonly modelEndpointArns: readonly string[];
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
}

/**
 * One function per route in the route table, plus the fallback, each wired to the storage: told
 * where the data is and who may vouch for callers, and allowed exactly the access its route needs
 * (lib/access/route-access.ts). The fallback authenticates no one and touches no data, so it is
 * told neither.
 */
export class RouteFunctions extends Construct {
  /** By route id. */
  readonly byRoute: ReadonlyMap<string, RouteFunction>;
  /** Answers 404 and 405 for whatever no route takes. */
  readonly fallback: RouteFunction;

  constructor(scope: Construct, id: string, props: RouteFunctionsProps) {
    super(scope, id);
    const { table, bundleBucket } = props.storage;
    const targets = {
      tableArn: table.tableArn,
      bucketArn: bundleBucket.bucketArn,
      modelEndpointArns: props.modelEndpointArns,
      bucketLogicalId: Stack.of(this).getLogicalId(bundleBucket.node.defaultChild as CfnBucket),
    };
    // Every registry handler builds both stores on first use, so each needs both names.
    const dataLocation = { [CONFIG_ENV.table]: table.tableName, [CONFIG_ENV.bucket]: bundleBucket.bucketName };

    const build = (functionId: string, spec: FunctionSpec): RouteFunction => new RouteFunction(this, functionId, {
      handler: spec.handler,
      description: spec.description,
      memoryMb: spec.memoryMb,
      timeoutSeconds: spec.timeoutSeconds,
      environment: spec.environment,
      dataAccess: accessStatements(spec.access, targets),
      dataAccessAcknowledgements: accessAcknowledgements(spec.access, targets),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.byRoute = new Map(ROUTES.map((route) => [route.id, build(route.id, {
      handler: route.handler,
      description: `${route.method} ${route.path}: ${route.summary}`,
      memoryMb: route.memoryMb,
      timeoutSeconds: route.timeoutSeconds,
      access: routeAccess(route.id),
      // Every route handler authenticates first (even the open ones build the same services).
      environment: { ...dataLocation, ...props.identityEnvironment },
    })]));
    this.fallback = build('NotRouted', {
      handler: FALLBACK_HANDLER,
      description: 'Answers 404 for unknown paths and 405 for known paths with another method',
      ...FALLBACK_SIZE,
      access: FALLBACK_ACCESS,
      environment: {},
    });
  }
}
