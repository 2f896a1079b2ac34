import { AdminGetUserCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { identityUnavailable } from './identity-unavailable';

/** What the user pool says of a user: present and enabled, present but disabled, or gone. */
export type DirectoryStatus = 'enabled' | 'disabled' | 'gone';

export type UserStatusLookup = (user: string) => Promise<DirectoryStatus>;

export interface CognitoUserStatusOptions {
  readonly client: Pick<CognitoIdentityProviderClient, 'send'>;
  readonly userPoolId: string;
  /** How long an answer is trusted, in seconds; 0 asks on every call. */
  readonly cacheSeconds: number;
  /** Answers kept at most; the oldest goes first. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** Enough for every active user of a large deployment, at a few hundred bytes each. */
const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Asks the stack's Cognito user pool whether a user still exists and is enabled (AdminGetUser,
 * by the user's `sub`, which Cognito takes as the username of a pool whose users sign in with
 * their email). Each answer, enabled, disabled or gone (UserNotFoundException), is kept for
 * `cacheSeconds` in this execution environment, so a user costs each function at most one call
 * per window; a failed call is not kept.
 *
 * Fails closed: when the pool cannot answer (throttling, a network fault, a missing permission),
 * the token is not let through on trust but answered 503 identity_unavailable, as a sign-in
 * token is when the issuer's keys cannot be fetched, with Retry-After (identity-unavailable.ts). A disabled user's token must never work
 * because Cognito was slow, and a 503 is retried by scripts where a wrong 200 is not undone.
 */
export function createCognitoUserStatus(options: CognitoUserStatusOptions): UserStatusLookup {
  const { client, userPoolId, cacheSeconds } = options;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const answers = new Map<string, { status: DirectoryStatus; until: number }>();

  const ask = async (user: string): Promise<DirectoryStatus> => {
    try {
      const answer = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: user }));
      return answer.Enabled === false ? 'disabled' : 'enabled';
    } catch (error) {
      if ((error as Error)?.name === 'UserNotFoundException') return 'gone';
      throw identityUnavailable('The user pool could not be asked whether the token\'s user is still enabled; try again shortly', error);
    }
  };

  return async (user) => {
    const kept = answers.get(user);
    if (kept && kept.until > now()) return kept.status;
    // The window counts from the question, not the answer: an answer is never older than it says.
    const askedAt = now();
    const status = await ask(user);
    if (cacheSeconds > 0) {
      answers.delete(user);
      answers.set(user, { status, until: askedAt + cacheSeconds * 1000 });
      // Maps keep insertion order, and a refreshed answer was re-inserted: the first key is the oldest.
      if (answers.size > maxEntries) answers.delete(answers.keys().next().value as string);
    }
    return status;
  };
}
