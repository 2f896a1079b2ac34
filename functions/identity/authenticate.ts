import { AppError } from '../errors/app-error';
import type { RouteSpec } from '../routes/route-table';
import type { TokenHolder } from '../tokens/token-service';
import { looksLikeAccessToken } from '../tokens/token-format';
import { ANONYMOUS, tokenActor, userActor, type Actor } from './actor';
import { InvalidTokenError, type VerifyJwt } from './jwt-verifier';
import type { StandingCheck } from './user-standing';

const REALM = 'Bearer realm="mlhub"';

const quoted = (text: string) => text.replace(/["\\]/g, '');

/** RFC 6750: a request without credentials learns only that they are needed. */
const signInRequired = () =>
  new AppError('unauthenticated', 'authentication_required', 'Sign in: send Authorization: Bearer <token> (an OIDC token, or a personal access token)', { headers: { 'www-authenticate': REALM } });

const invalidToken = (reason: string) =>
  new AppError('unauthenticated', 'invalid_token', `The bearer token was refused: ${reason}`, {
    headers: { 'www-authenticate': `${REALM}, error="invalid_token", error_description="${quoted(reason)}"` },
  });

export interface AuthenticatorDeps {
  readonly verifyJwt: VerifyJwt;
  readonly resolveAccessToken: (token: string) => Promise<TokenHolder>;
  /** Single-user development mode (the local runtime's default): no credentials act as this user. */
  readonly devUser?: string;
  /** Whether a signed-in caller's user may still use their credentials (offboarded, disabled, deleted). */
  readonly checkStanding?: StandingCheck;
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
  if (!match?.[1]) throw invalidToken('the Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Works out who is calling and whether the route lets them in: 401 without valid credentials
 * where they are needed, or when their user was offboarded, disabled or deleted
 * (user-standing.ts); 403 when a personal access token lacks the route's scope or the route
 * needs a session. What a caller may do to a given model is the access policy's business.
 */
export function createAuthenticator(deps: AuthenticatorDeps) {
  async function identify(authorization: string | undefined): Promise<Actor> {
    const token = bearerToken(authorization);
    if (token === undefined) return deps.devUser ? userActor(deps.devUser, 'dev') : ANONYMOUS;
    if (looksLikeAccessToken(token)) {
      try {
        const holder = await deps.resolveAccessToken(token);
        return tokenActor(holder.user, holder.scope, holder.tokenId);
      } catch (error) {
        if (error instanceof AppError && error.kind === 'unauthenticated') throw invalidToken(error.message.replace(/^The access token /, 'the access token '));
        throw error;
      }
    }
    try {
      return userActor(await deps.verifyJwt(token), 'session');
    } catch (error) {
      if (error instanceof InvalidTokenError) throw invalidToken(error.message);
      throw error;
    }
  }

  return async function authenticate(route: RouteSpec, authorization: string | undefined): Promise<Actor> {
    if (route.auth === 'none') return ANONYMOUS;
    const actor = await identify(authorization);
    const refusal = await deps.checkStanding?.(actor);
    if (refusal !== undefined) throw invalidToken(refusal);
    if (actor.anonymous) {
      if (route.auth === 'optional') return actor;
      throw signInRequired();
    }
    if (route.auth === 'session' && actor.credential === 'token') {
      throw new AppError('forbidden', 'session_required', 'Personal access tokens cannot manage tokens; sign in to do this');
    }
    if (route.scope === 'write' && actor.scope === 'read') {
      throw new AppError('forbidden', 'insufficient_scope', 'This personal access token is read-only', {
        headers: { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="write"` },
      });
    }
    return actor;
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
