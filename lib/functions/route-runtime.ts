import { MAX_ROUTE_TIMEOUT_SECONDS, ROUTES, type RouteSpec } from '../../functions/routes/route-table';

/** What a route's function needs to run, beyond the data it may touch. */
export interface RouteRuntime {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /**
   * Runs predictions: the ONNX Runtime layer, the inference configuration, and room in /tmp for
   * unpacked model files (lib/functions/inference-runtime.ts).
   */
  readonly inference: boolean;
}

/** A route whose body is prediction input hands it to the inference engine. */
const runsInference = (route: RouteSpec): boolean => route.body === 'predict';

/**
 * A route's function runtime, from the route table: its memory and timeout (at most
 * MAX_ROUTE_TIMEOUT_SECONDS, or this throws), and inference for a
 * route whose body is prediction input. createModel does not predict: it hands the seed's image
 * form to the predict function (functions/handlers/create-model.ts).
 */
export function routeRuntime(routeId: string, table: readonly RouteSpec[] = ROUTES): RouteRuntime {
  const route = table.find((candidate) => candidate.id === routeId);
  if (!route) throw new Error(`No route with id '${routeId}' in the route table`);
  if (route.timeoutSeconds > MAX_ROUTE_TIMEOUT_SECONDS) {
    throw new Error(`Route '${routeId}' has a ${route.timeoutSeconds} s timeout; a route function may take at most ${MAX_ROUTE_TIMEOUT_SECONDS} s, 2 s under API Gateway's 30 s, or callers get the gateway's 503 instead of MLHub's answer`);
  }
  return { memoryMb: route.memoryMb, timeoutSeconds: route.timeoutSeconds, inference: runsInference(route) };
}
