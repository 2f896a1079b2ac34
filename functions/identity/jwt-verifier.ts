import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { identityUnavailable } from './identity-unavailable';
import type { IdentityConfig } from './identity-config';

export class InvalidTokenError extends Error {}

export type VerifyJwt = (token: string) => Promise<string>;

const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'];

function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) return 'the token is not signed by the configured issuer';
  if (error instanceof joseErrors.JOSEError) return 'the token is malformed';
  return 'the token could not be verified';
}

/** The keys could not be fetched: that is the service's trouble, not the caller's token. */
const issuerUnreachable = (error: unknown): boolean =>
  error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || !(error instanceof joseErrors.JOSEError);

function checkAudience(payload: JWTPayload, audience: string | undefined): void {
  if (!audience) return;
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
  // Cognito access tokens carry the app client in client_id, not aud.
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
  if (!audiences.includes(audience) && clientId !== audience) throw new InvalidTokenError('the token is for another application');
}

/**
 * Verifies OIDC bearer JWTs: signature against the issuer's JWKS (fetched once and cached for
 * the life of the execution environment), issuer, audience or client id, expiry and token use.
 * Resolves to the user id.
 */
export function createJwtVerifier(config: IdentityConfig): VerifyJwt {
  const { issuer, jwksUri } = config;
  if (!issuer || !jwksUri) {
    return async () => {
      throw new InvalidTokenError('this deployment accepts no sign-in tokens');
    };
  }
  const keys = createRemoteJWKSet(new URL(jwksUri), { cacheMaxAge: 10 * 60 * 1000, cooldownDuration: 30 * 1000, timeoutDuration: 5000 });
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer, algorithms: ACCEPTED_ALGORITHMS, clockTolerance: 5, requiredClaims: ['exp'] }));
    } catch (error) {
      if (issuerUnreachable(error)) {
        throw identityUnavailable('The sign-in service could not be reached to check the token; try again shortly', error);
      }
      throw new InvalidTokenError(describe(error));
    }
    checkAudience(payload, config.audience);
    if (config.tokenUse && payload.token_use !== undefined && payload.token_use !== config.tokenUse) {
      throw new InvalidTokenError(`an ${String(payload.token_use)} token was sent where an ${config.tokenUse} token is needed`);
    }
    const user = payload[config.userClaim];
    if (typeof user !== 'string' || user === '') throw new InvalidTokenError(`the token has no ${config.userClaim} claim`);
    return user;
  };
}
