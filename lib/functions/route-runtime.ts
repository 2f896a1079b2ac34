import { ROUTES, type RouteSpec } from '../../functions/routes/route-table';
import { answeredRoutes } from '../routes/answered-routes';

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
 * A route's function runtime, from the route table: its own memory, timeout and needs, raised to
 * those of every route it also answers as (`alsoAnswersAs`), whose work its handler does too.
 */
export function routeRuntime(routeId: string, table: readonly RouteSpec[] = ROUTES): RouteRuntime {
  const routes = answeredRoutes(routeId, table);
  return {
    memoryMb: Math.max(...routes.map((route) => route.memoryMb)),
    timeoutSeconds: Math.max(...routes.map((route) => route.timeoutSeconds)),
    inference: routes.some(runsInference),
  };
}
