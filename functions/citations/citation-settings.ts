import { DEFAULT_PUBLISHER, PUBLISHING_ENV } from '../publishing/publishing-config';

/**
 * Who publishes and where landing pages are, for citations: the publishing settings' publisher
 * (MLHUB_DOI_PUBLISHER, default `MLHub`) and landing base URL (MLHUB_LANDING_BASE_URL), which a
 * deployment that does not publish DOIs may leave unset: a citation then names the API's own
 * address as the request reached it (API Gateway serves HTTPS only, on its `$default` stage).
 */
export function citationSettings(env: NodeJS.ProcessEnv, requestDomain: string | undefined): { publisher: string; landingBaseUrl: string } {
  const configured = env[PUBLISHING_ENV.landingBaseUrl]?.trim();
  return {
    publisher: env[PUBLISHING_ENV.publisher]?.trim() || DEFAULT_PUBLISHER,
    landingBaseUrl: configured && /^https?:\/\/\S+\/$/.test(configured) ? configured : `https://${requestDomain ?? 'localhost'}/`,
  };
}
