import { ROUTES, type RouteSpec } from '../../functions/routes/route-table';

/**
 * The routes whose work a route's function does: the route itself, then each route it also
 * answers as (`alsoAnswersAs` in the route table), and theirs in turn. A function serving
 * several routes needs what each of them needs, so access and runtime are derived from this list.
 */
export function answeredRoutes(routeId: string, routes: readonly RouteSpec[] = ROUTES): readonly RouteSpec[] {
  const answered: RouteSpec[] = [];
  let next: string | undefined = routeId;
  while (next !== undefined) {
    const id: string = next;
    const route = routes.find((candidate) => candidate.id === id);
    if (!route) throw new Error(answered.length === 0 ? `No route with id '${id}' in the route table` : `Route '${answered.at(-1)?.id}' also answers as '${id}', which is not in the route table`);
    // A cycle: every route in it is already counted.
    if (answered.includes(route)) break;
    answered.push(route);
    next = route.alsoAnswersAs;
  }
  return answered;
}
