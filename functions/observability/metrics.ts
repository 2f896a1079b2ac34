import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import { DIMENSION, METRIC, type UploadCheckOutcome } from './metric-names';
import { METRICS_NAMESPACE, SERVICE_NAME } from './observability-settings';

export { DIMENSION, METRIC } from './metric-names';

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
  readonly outcome: UploadCheckOutcome;
  readonly bytes: number;
}

export function recordUploadCheck({ outcome, bytes }: UploadCheckRecord): void {
  publish({ [DIMENSION.outcome]: outcome }, [
    [METRIC.uploadChecks, MetricUnit.Count, 1],
    [METRIC.bundleBytes, MetricUnit.Bytes, bytes],
  ]);
}
