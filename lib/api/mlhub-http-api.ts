import { Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type CfnStage,
  type HttpRoute,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { rateClassOf } from '../../functions/rate-limits/rate-classes';
import { routeMethods } from '../../functions/routes/match-route';
import { ROUTES, type RouteSpec } from '../../functions/routes/route-table';
import type { RouteThrottles, Throttle } from '../config/stack-config';
import type { RouteFunctions } from '../functions/route-functions';

export interface MlHubHttpApiProps {
  readonly functions: RouteFunctions;
  /** Stage-wide throttling, for every route without its own. */
  readonly throttle: Throttle;
  /** Throttles by class of requests, set on each route of the class. */
  readonly routeThrottles: RouteThrottles;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** One JSON object per request; the $context variables of HTTP APIs. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integration.error',
  errorMessage: '$context.error.message',
};

/** Every distinct path in the route table, once. */
export function routePaths(routes: readonly RouteSpec[]): string[] {
  return [...new Set(routes.map((route) => route.path))];
}

/**
 * The stage's route settings: each route of a throttled class (functions/rate-limits/rate-classes.ts)
 * under its route key, `GET /models` and its `HEAD` twin alike (AWS::ApiGatewayV2::Stage RouteSettings).
 */
export function routeSettings(routes: readonly RouteSpec[], throttles: RouteThrottles): Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> {
  const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
  for (const route of routes) {
    const rateClass = rateClassOf(route.id);
    const throttle = rateClass ? throttles[rateClass] : undefined;
    if (!throttle) continue;
    for (const method of routeMethods(route)) settings[`${method} ${route.path}`] = { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit };
  }
  return settings;
}

/**
 * Why a route has no API Gateway authorizer (cdk-nag APIG4). MLHub authenticates in the handler
 * (functions/identity/authenticate.ts), by the route table's auth mode: it accepts OIDC JWTs and
 * MLHub personal access tokens, and a JWT authorizer could verify only the first.
 */
function whyNoAuthorizer(route: RouteSpec | 'fallback'): string {
  if (route === 'fallback') return 'Answers only JSON 404/405 errors and OPTIONS (CORS preflights, which carry no credentials by the Fetch standard), and touches no data; an authorizer would turn them into 401s';
  if (route.auth === 'none') return "The health check is open by design (auth 'none' in the route table) and tells only the service version and whether its stores answer";
  if (route.auth === 'optional') {
    return "Open to anonymous callers by design (auth 'optional' in the route table): public models are readable by anyone; the handler identifies callers who present a token and decides what they may see";
  }
  return `Auth '${route.auth}' is enforced in the handler, which verifies OIDC JWTs and MLHub personal access tokens (an API Gateway JWT authorizer cannot verify the latter) and answers 401/403 as JSON errors`;
}

const acknowledgeNoAuthorizer = (scope: Construct, route: RouteSpec | 'fallback'): void =>
  Validations.of(scope).acknowledge({ id: 'AwsSolutions-APIG4', reason: whyNoAuthorizer(route) });

/**
 * A route's function may be invoked by API Gateway for its own route only. The fallback serves two
 * routes: ANY per known path, and $default: one permission for the whole API
 * (`scopePermissionToRoute: false`) rather than one per route, which kept the stack under
 * CloudFormation's 500 resources as routes were added; it answers only 404, 405 and preflights.
 */
const lambdaIntegration = (id: string, handler: IFunction, scope: 'route' | 'api' = 'route'): HttpLambdaIntegration =>
  new HttpLambdaIntegration(id, handler, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0, scopePermissionToRoute: scope === 'route' });

/**
 * The HTTP API, generated from the route table: one route per entry, to that route's function.
 * Everything else reaches the fallback function: `ANY <path>` for each known path (the CORS
 * preflight, answered with MLHub's CORS policy, functions/http/cors.ts, and a wrong method, a
 * JSON 405 with Allow) and `$default` for unknown paths (a JSON 404). The API has
 * no CORS configuration of its own: the functions answer CORS (see functions/http/cors.ts for why).
 * The stage throttles every route, and the routes of throttled classes more strictly.
 */
export class MlHubHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: MlHubHttpApiProps) {
    super(scope, id);
    const fallback = lambdaIntegration('NotRouted', props.functions.fallback.function, 'api');

    this.api = new HttpApi(this, 'Api', {
      apiName: Stack.of(this).stackName,
      description: 'MLHub REST API',
      createDefaultStage: false,
      defaultIntegration: fallback,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const settings = routeSettings(ROUTES, props.routeThrottles);
    const throttled: HttpRoute[] = [];
    for (const route of ROUTES) {
      const routeFunction = props.functions.byRoute.get(route.id);
      if (!routeFunction) throw new Error(`No function was built for route '${route.id}'`);
      // HTTP APIs route HEAD only to HEAD routes (ANY would send it to the fallback's 405), so each GET route gets its HEAD twin.
      const methods = routeMethods(route).map((method) => HttpMethod[method]);
      const added = this.api.addRoutes({ path: route.path, methods, integration: lambdaIntegration(route.id, routeFunction.function) });
      for (const httpRoute of added) {
        acknowledgeNoAuthorizer(httpRoute, route);
        if (settings[`${route.method} ${route.path}`] !== undefined) throttled.push(httpRoute);
      }
    }
    for (const path of routePaths(ROUTES)) {
      // ANY takes the preflights too (OPTIONS is no route's method), to the same fallback: an
      // OPTIONS route per path as well cost a resource per path of CloudFormation's 500.
      for (const httpRoute of this.api.addRoutes({ path, methods: [HttpMethod.ANY], integration: fallback })) acknowledgeNoAuthorizer(httpRoute, 'fallback');
    }
    acknowledgeNoAuthorizer(this.api.node.findChild('DefaultRoute'), 'fallback');

    if (Object.keys(settings).length > 0) {
      (this.stage.node.defaultChild as CfnStage).routeSettings = settings;
      // API Gateway refuses route settings for a route key it does not know yet.
      for (const httpRoute of throttled) this.stage.node.addDependency(httpRoute);
    }
  }

  /** The stage's base URL, ending in '/'. */
  get url(): string {
    return this.stage.url;
  }
}
