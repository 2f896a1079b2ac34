import { IDENTITY_ENV } from '../functions/identity/identity-config';

/**
 * `MLHUB_COGNITO_ENDPOINT`: a server that speaks the Cognito Identity Provider API (a test's
 * stand-in for a user pool), for the local runtime to ask, with MLHUB_COGNITO_USER_POOL_ID,
 * whether personal access tokens' users are still enabled, as a deployed stack asks its pool.
 * The local runtime signs with its own credentials, not AWS's, so it cannot ask a real pool.
 */
export const LOCAL_COGNITO_ENV = 'MLHUB_COGNITO_ENDPOINT';

/**
 * What the handlers are told so that the SDK's Cognito client reaches that server (the SDK's
 * service-specific endpoint variable); nothing when neither setting is given. Throws an Error
 * naming the variable when only one of the two is set, or the endpoint is not an http(s) URL.
 */
export function localCognitoEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const endpoint = env[LOCAL_COGNITO_ENV] || undefined;
  const pool = env[IDENTITY_ENV.userPoolId] || undefined;
  if (endpoint === undefined && pool === undefined) return {};
  if (endpoint === undefined) {
    throw new Error(`${IDENTITY_ENV.userPoolId} needs ${LOCAL_COGNITO_ENV} locally: the local runtime can ask only a server speaking the Cognito Identity Provider API at that URL, not a real user pool`);
  }
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error(`${LOCAL_COGNITO_ENV} must be an http(s) URL such as http://127.0.0.1:9229, got '${endpoint.slice(0, 80)}'`);
  if (pool === undefined) throw new Error(`${LOCAL_COGNITO_ENV} needs ${IDENTITY_ENV.userPoolId}: the user pool id to ask it about`);
  return { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoint };
}
