/**
 * MLHub's metric names, in the namespace `MLHub`, each with the `service` dimension Powertools
 * adds (`mlhub`). Request metrics mirror API Gateway's own (Count, 4xx, 5xx, Latency) per route.
 */
export const METRIC = {
  /** Count per route_id: every request a route's handler answered. */
  requests: 'Requests',
  /** Count per route_id, 1 or 0 on every request, so Average is the rate. */
  clientErrors: '4xx',
  serverErrors: '5xx',
  /** Milliseconds per route_id: from the handler's first middleware to its answer. */
  latency: 'Latency',
  /** Count per backend: predictions answered, and those that failed. */
  predictions: 'Predictions',
  predictionErrors: 'PredictionErrors',
  /** Milliseconds per backend: the backend's own time, model loading included. */
  predictionLatency: 'PredictionLatency',
  /** Count per outcome (ready, rejected): bundles checked by the finalizer. */
  uploadChecks: 'UploadChecks',
  /** Bytes per outcome: the size of each bundle checked. */
  bundleBytes: 'BundleBytes',
} as const;

/** What the finalizer can make of a bundle it checked: the values of the `outcome` dimension. */
export const UPLOAD_CHECK_OUTCOMES = ['ready', 'rejected'] as const;
export type UploadCheckOutcome = (typeof UPLOAD_CHECK_OUTCOMES)[number];

/** Dimension names, snake_case like Powertools' own (`service`, `function_name`) and the log keys. */
export const DIMENSION = { routeId: 'route_id', backend: 'backend', outcome: 'outcome' } as const;
