/** Who is making a request. Every domain call takes one, so access rules have a single seam. */
export interface Actor {
  readonly id: string;
}

/**
 * Until identity lands, every request acts as the built-in local user: the seed's curl
 * commands carry no credentials.
 */
export const LOCAL_USER: Actor = Object.freeze({ id: 'local' });

export function resolveActor(): Actor {
  return LOCAL_USER;
}
