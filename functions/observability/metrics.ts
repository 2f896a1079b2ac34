import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import { METRICS_NAMESPACE, SERVICE_NAME } from './observability-settings';

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

/** Dimension names, snake_case like Powertools' own (`service`, `function_name`) and the log keys. */
export const DIMENSION = { routeId: 'route_id', backend: 'backend', outcome: 'outcome' } as const;

/**
 * This function's request metrics, made once per execution environment and flushed as one EMF
 * document per invocation (routeHandler's middleware). Off (printed nowhere) when
 * POWERTOOLS_METRICS_DISABLED=true, as the local runtime sets unless MLHUB_METRICS=on.
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** One EMF document now, with its own dimensions: for metrics that belong to no route. */
function publish(dimensions: Readonly<Record<string, string>>, values: readonly [name: string, unit: Unit, value: number][]): void {
  const single = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions: { ...dimensions } });
  for (const [name, unit, value] of values) single.addMetric(name, unit, value);
  single.publishStoredMetrics();
}

export interface PredictionRecord {
  /** The backend kind (functions/inference/backend-spec.ts), e.g. `onnxruntime`, `sagemaker`. */
  readonly backend: string;
  readonly latencyMs: number;
  readonly ok: boolean;
}

export function recordPrediction({ backend, latencyMs, ok }: PredictionRecord): void {
  publish({ [DIMENSION.backend]: backend }, [
    [ok ? METRIC.predictions : METRIC.predictionErrors, MetricUnit.Count, 1],
    [METRIC.predictionLatency, MetricUnit.Milliseconds, latencyMs],
  ]);
}

export interface UploadCheckRecord {
  readonly outcome: 'ready' | 'rejected';
  readonly bytes: number;
}

export function recordUploadCheck({ outcome, bytes }: UploadCheckRecord): void {
  publish({ [DIMENSION.outcome]: outcome }, [
    [METRIC.uploadChecks, MetricUnit.Count, 1],
    [METRIC.bundleBytes, MetricUnit.Bytes, bytes],
  ]);
}
