import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for @aws-sdk/credential-provider-node's `defaultProvider` in handler bundles
 * (lib/functions/handler-bundling.ts aliases it): credentials from AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN only. Lambda gives a function its role's
 * credentials in exactly these variables, and the local runtime sets them for its stores, so the
 * chain's other sources (SSO, profiles, web identity, container and instance metadata, with the
 * STS and SSO clients they carry: about 130 KB of every bundle) are never reached. Missing
 * variables fail the SDK call with CredentialsProviderError, as the chain would.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
