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
}

export const IDENTITY_ENV = {
  issuer: 'MLHUB_OIDC_ISSUER',
  audience: 'MLHUB_OIDC_AUDIENCE',
  jwksUri: 'MLHUB_OIDC_JWKS_URI',
  tokenUse: 'MLHUB_OIDC_TOKEN_USE',
  userClaim: 'MLHUB_OIDC_USER_CLAIM',
  devUser: 'MLHUB_DEV_USER',
} as const;

export function loadIdentityConfig(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  const tokenUse = env[IDENTITY_ENV.tokenUse];
  if (tokenUse !== undefined && tokenUse !== '' && tokenUse !== 'id' && tokenUse !== 'access') {
    throw new Error(`${IDENTITY_ENV.tokenUse} must be 'id' or 'access', got '${tokenUse}'`);
  }
  const issuer = env[IDENTITY_ENV.issuer] || undefined;
  const jwksUri = env[IDENTITY_ENV.jwksUri] || (issuer ? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json` : undefined);
  return {
    ...(issuer ? { issuer } : {}),
    ...(env[IDENTITY_ENV.audience] ? { audience: env[IDENTITY_ENV.audience] } : {}),
    ...(jwksUri ? { jwksUri } : {}),
    ...(tokenUse ? { tokenUse } : {}),
    userClaim: env[IDENTITY_ENV.userClaim] || 'sub',
    ...(env[IDENTITY_ENV.devUser] ? { devUser: env[IDENTITY_ENV.devUser] } : {}),
  };
}
