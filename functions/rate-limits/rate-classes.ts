import type { RouteId } from '../routes/route-table';

/**
 * The classes of request a caller's allowance is counted in, each apart from the others, so that
 * a burst of listings never blocks an upload and a flood of predictions never blocks edits.
 */
export const RATE_CLASSES = ['read', 'write', 'predict', 'upload', 'deploy', 'job', 'predict-anonymous'] as const;

export type RateClass = (typeof RATE_CLASSES)[number];

/**
 * Classes counted instead of a route's class when the caller has no token and the policy limits
 * them: anonymous callers may run the largest requests MLHub serves (2 GB, 29 s predictions on
 * public models) and share one allowance per address, so a deployment holds them to a stricter
 * one (issue 18, "abuse limits"). Left out of the policy, anonymous callers count in the route's
 * class as everyone else does.
 */
export const ANONYMOUS_RATE_CLASSES: Readonly<Partial<Record<RateClass, RateClass>>> = {
  predict: 'predict-anonymous',
};

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
  getDeployment: 'read',
  citeModel: 'read',
  downloadBundle: 'read',
  getAccess: 'read',
  listTokens: 'read',
  getMe: 'read',
  createModel: 'write',
  updateModel: 'write',
  deleteModel: 'write',
  publishVersion: 'write',
  // Each deploy creates a SageMaker endpoint (minutes of SageMaker's work, and the account's quotas): its own, small allowance.
  deployVersion: 'deploy',
  undeployVersion: 'write',
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
  listDatasets: 'read',
  getDataset: 'read',
  deleteDataset: 'write',
  // A dataset's creation starts its upload: its steps count as a model upload's do.
  createDataset: 'upload',
  getDatasetUpload: 'upload',
  completeDatasetUpload: 'upload',
  abortDatasetUpload: 'upload',
  // A job runs a whole dataset's predictions on the deployment's workers (the Distributed Map's
  // MaxConcurrency each): its own, small allowance per user; its polling is reads.
  createJob: 'job',
  listJobs: 'read',
  getJob: 'read',
  getJobResults: 'read',
  cancelJob: 'write',
};

/**
 * The class one request is counted in: its route's, or that class's anonymous variant
 * (ANONYMOUS_RATE_CLASSES) for a caller without a token when `limited` says the policy limits it.
 */
export function requestRateClass(routeClass: RateClass, anonymous: boolean, limited: (rateClass: RateClass) => boolean): RateClass {
  const variant = anonymous ? ANONYMOUS_RATE_CLASSES[routeClass] : undefined;
  return variant !== undefined && limited(variant) ? variant : routeClass;
}

/** The class a route's requests are counted in; `null` for a route that is never limited. */
export function rateClassOf(routeId: string): RateClass | null {
  const rateClass = (ROUTE_RATE_CLASSES as Readonly<Record<string, RateClass | null | undefined>>)[routeId];
  if (rateClass === undefined) throw new Error(`Route '${routeId}' has no entry in ROUTE_RATE_CLASSES (functions/rate-limits/rate-classes.ts): say how its requests are counted`);
  return rateClass;
}
