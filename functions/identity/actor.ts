/** How a caller proved who they are. */
export type Credential = 'session' | 'token' | 'dev' | 'none';

/** Who is making a request. Every domain call takes one, so access rules have a single seam. */
export interface Actor {
  /** The user id (the OIDC subject, e.g. a Cognito sub or an ORCID iD); '' when anonymous. */
  readonly id: string;
  readonly anonymous: boolean;
  readonly credential: Credential;
  /** Personal access tokens may be read-only; sessions may do all the user may. */
  readonly scope: 'read' | 'write';
  /** The personal access token the caller sent, by id; only when `credential` is `token`. */
  readonly tokenId?: string;
}

export const ANONYMOUS: Actor = Object.freeze({ id: '', anonymous: true, credential: 'none', scope: 'read' });

export const userActor = (id: string, credential: Exclude<Credential, 'none'>, scope: 'read' | 'write' = 'write'): Actor =>
  Object.freeze({ id, anonymous: false, credential, scope });

/** A caller signed in with a personal access token. */
export const tokenActor = (id: string, scope: 'read' | 'write', tokenId: string): Actor =>
  Object.freeze({ id, anonymous: false, credential: 'token', scope, tokenId });
