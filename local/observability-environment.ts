import { OBSERVABILITY_ENV } from '../functions/observability/observability-settings';

/** `on` prints each invocation's EMF metrics document locally; off by default, as they are one JSON line per request. */
export const LOCAL_METRICS_ENV = 'MLHUB_METRICS';

/**
 * How the handlers observe themselves in the local runtime: readable log lines (MLHUB_LOG_FORMAT=json
 * keeps Powertools' JSON), metrics only when MLHUB_METRICS=on, and no X-Ray (there is no daemon
 * to send traces to). POWERTOOLS_LOG_LEVEL passes through as it is.
 */
export function localObservabilityEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    [OBSERVABILITY_ENV.logFormat]: env[OBSERVABILITY_ENV.logFormat] || 'text',
    [OBSERVABILITY_ENV.metricsDisabled]: env[LOCAL_METRICS_ENV] === 'on' ? 'false' : 'true',
    [OBSERVABILITY_ENV.traceEnabled]: 'false',
    // As Lambda says of an on-demand environment, so the first invocation logs cold_start (one process, one cold start).
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  };
}
