/**
 * Names shared by MLHub's logs, metrics and traces, and the environment variables that switch
 * them. The stack leaves these unset in the cloud (JSON logs, EMF metrics, X-Ray tracing when the
 * function's tracing is active); the local runtime sets them (local/runtime.ts).
 */

/** The `service` of every log line, metric and trace (Powertools' service name). */
export const SERVICE_NAME = 'mlhub';

/** The CloudWatch namespace of MLHub's metrics. */
export const METRICS_NAMESPACE = 'MLHub';

export const OBSERVABILITY_ENV = {
  /** `text`: one readable line per log entry (the local runtime); anything else: Powertools' JSON. */
  logFormat: 'MLHUB_LOG_FORMAT',
  /** Powertools' switch: `true` keeps EMF documents off stdout (the local runtime, unless MLHUB_METRICS=on). */
  metricsDisabled: 'POWERTOOLS_METRICS_DISABLED',
  /** Powertools' switch: `false` never loads the X-Ray SDK (the local runtime). */
  traceEnabled: 'POWERTOOLS_TRACE_ENABLED',
} as const;
