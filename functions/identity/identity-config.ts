import { integerFromEnv } from '../platform/env-values';

/**
 * Who may vouch for callers. In the cloud this is the stack's Cognito user pool or any OIDC
 * issuer (ORCID, for instance); locally it is the local runtime's own issuer.
 */
export interface IdentityConfig {
  readonly issuer?: string;
  /** The app client id: the token's `aud`, or its `client_id` (Cognito access tokens). */
  readonly audience?: string;
  readonly jwksUri?: string;
  /** `id`, `access`, or undefined to accept either (Cognito marks tokens with `token_use`). */
  readonly tokenUse?: 'id' | 'access';
  /** The claim that names the user. */
  readonly userClaim: string;
  /** Single-user development mode: requests without credentials act as this user. Never set in the cloud. */
  readonly devUser?: string;
  /**
   * The stack's own Cognito user pool, when it is the issuer: personal access tokens are then
   * refused once their user is disabled or deleted there (functions/identity/cognito-user-status.ts).
   * Undefined with an external issuer, which cannot be asked.
   */
  readonly userPoolId?: string;
  /** How long one answer of the user pool about a user is trusted, in seconds (0: ask on every request). */
  readonly userStatusCacheSeconds?: number;
}

/** Five minutes: a disabled user's tokens stop within that, and each user costs a function at most one AdminGetUser call per window. */
export const DEFAULT_USER_STATUS_CACHE_SECONDS = 300;

/** Cognito's pattern for user pool ids (Amazon Cognito API Reference, AdminGetUser, UserPoolId): `<region>_<id>`. */
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

export const IDENTITY_ENV = {
  issuer: 'MLHUB_OIDC_ISSUER',
  audience: 'MLHUB_OIDC_AUDIENCE',
  jwksUri: 'MLHUB_OIDC_JWKS_URI',
  tokenUse: 'MLHUB_OIDC_TOKEN_USE',
  userClaim: 'MLHUB_OIDC_USER_CLAIM',
  devUser: 'MLHUB_DEV_USER',
  userPoolId: 'MLHUB_COGNITO_USER_POOL_ID',
  userStatusCacheSeconds: 'MLHUB_USER_STATUS_CACHE_SECONDS',
} as const;

export function loadIdentityConfig(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  const tokenUse = env[IDENTITY_ENV.tokenUse];
  if (tokenUse !== undefined && tokenUse !== '' && tokenUse !== 'id' && tokenUse !== 'access') {
    throw new Error(`${IDENTITY_ENV.tokenUse} must be 'id' or 'access', got '${tokenUse}'`);
  }
  const userPoolId = env[IDENTITY_ENV.userPoolId] || undefined;
  if (userPoolId !== undefined && (userPoolId.length > 55 || !USER_POOL_ID.test(userPoolId))) {
    throw new Error(`${IDENTITY_ENV.userPoolId} must be a Cognito user pool id such as eu-west-1_AbC123xyz, got '${userPoolId.slice(0, 60)}'`);
  }
  const userStatusCacheSeconds = integerFromEnv(env, IDENTITY_ENV.userStatusCacheSeconds, DEFAULT_USER_STATUS_CACHE_SECONDS, { min: 0, max: 3600 });
  const issuer = env[IDENTITY_ENV.issuer] || undefined;
  const jwksUri = env[IDENTITY_ENV.jwksUri] || (issuer ? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json` : undefined);
  return {
    ...(issuer ? { issuer } : {}),
    ...(env[IDENTITY_ENV.audience] ? { audience: env[IDENTITY_ENV.audience] } : {}),
    ...(jwksUri ? { jwksUri } : {}),
    ...(tokenUse ? { tokenUse } : {}),
    userClaim: env[IDENTITY_ENV.userClaim] || 'sub',
    ...(env[IDENTITY_ENV.devUser] ? { devUser: env[IDENTITY_ENV.devUser] } : {}),
    ...(userPoolId ? { userPoolId } : {}),
    userStatusCacheSeconds,
  };
}
