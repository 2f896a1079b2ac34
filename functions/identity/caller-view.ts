import type { Actor } from './actor';

/** `GET /me`: what MLHub knows of the caller. */
export interface CallerView {
  /** The user id: what a model's owner names in a grant (a Cognito id is a UUID nobody can guess). */
  readonly user: string;
  /** How the caller signed in: a session (an OIDC token), a personal access token, or the local runtime's dev mode. */
  readonly auth: 'session' | 'token' | 'dev';
  /** What the personal access token may do; null for sessions and dev mode, which may do all the user may. */
  readonly scope: 'read' | 'write' | null;
  /** The personal access token's id, as GET /tokens lists it; null unless signed in by token. */
  readonly token_id: string | null;
}

/** The caller as GET /me shows them; only signed-in callers reach it (the route needs auth). */
export function callerView(actor: Actor): CallerView {
  if (actor.credential === 'none') throw new Error('GET /me answers signed-in callers only');
  const byToken = actor.credential === 'token';
  return { user: actor.id, auth: actor.credential, scope: byToken ? actor.scope : null, token_id: byToken ? actor.tokenId ?? null : null };
}
