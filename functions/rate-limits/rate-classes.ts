import type { RouteId } from '../routes/route-table';

/**
 * The classes of request a caller's allowance is counted in, each apart from the others, so that
 * a burst of listings never blocks an upload and a flood of predictions never blocks edits.
 */
export const RATE_CLASSES = ['read', 'write', 'predict', 'upload'] as const;

export type RateClass = (typeof RATE_CLASSES)[number];

/**
 * Each route's class, by route id; `null`: never limited. Kept per route, as ROUTE_ACCESS is,
 * rather than derived from a route's scope or body kind, because those do not say what a request
 * costs: the upload session routes need write scope but are the steps of one upload, and the
 * health check must stay open to load balancers and monitors whatever they send.
 */
export const ROUTE_RATE_CLASSES: Readonly<Record<RouteId, RateClass | null>> = {
  getStatus: null,
  // A static document, read by tools; counting it would cost more than serving it.
  getOpenApi: null,
  listModels: 'read',
  getModel: 'read',
  getVersion: 'read',
  downloadBundle: 'read',
  getAccess: 'read',
  listTokens: 'read',
  getMe: 'read',
  createModel: 'write',
  updateModel: 'write',
  deleteModel: 'write',
  deleteVersion: 'write',
  putAccess: 'write',
  createToken: 'write',
  deleteToken: 'write',
  uploadBundle: 'upload',
  createUpload: 'upload',
  listUploads: 'upload',
  getUpload: 'upload',
  completeUpload: 'upload',
  abortUpload: 'upload',
  predictModel: 'predict',
  predictModelWithGet: 'predict',
};

/** The class a route's requests are counted in; `null` for a route that is never limited. */
export function rateClassOf(routeId: string): RateClass | null {
  const rateClass = (ROUTE_RATE_CLASSES as Readonly<Record<string, RateClass | null | undefined>>)[routeId];
  if (rateClass === undefined) throw new Error(`Route '${routeId}' has no entry in ROUTE_RATE_CLASSES (functions/rate-limits/rate-classes.ts): say how its requests are counted`);
  return rateClass;
}
