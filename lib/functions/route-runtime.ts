import { ROUTES, type RouteSpec } from '../../functions/routes/route-table';

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
 * A route's function runtime, from the route table: its memory and timeout, and inference for a
 * route whose body is prediction input. createModel does not predict: it hands the seed's image
 * form to the predict function (functions/handlers/create-model.ts).
 */
export function routeRuntime(routeId: string, table: readonly RouteSpec[] = ROUTES): RouteRuntime {
  const route = table.find((candidate) => candidate.id === routeId);
  if (!route) throw new Error(`No route with id '${routeId}' in the route table`);
  return { memoryMb: route.memoryMb, timeoutSeconds: route.timeoutSeconds, inference: runsInference(route) };
}
