import type { Actor } from './actor';
import type { UserStatusLookup } from './cognito-user-status';

/** Why a signed-in caller's credentials no longer count, as the 401's description says it; undefined when they do. */
export type StandingCheck = (actor: Actor) => Promise<string | undefined>;

export interface StandingSources {
  /** Whether an administrator offboarded the user (functions/offboarding/offboarded-users.ts). */
  readonly isOffboarded: (user: string) => Promise<boolean>;
  /** The stack's own user pool, asked for personal access tokens only; absent with an external issuer. */
  readonly directoryStatus?: UserStatusLookup;
}

/**
 * Whether the user behind a credential may still use it:
 * - anyone an administrator offboarded is refused, whatever they came with (a sign-in token still
 *   in its hour, or a personal access token), which is the only check an external issuer allows;
 * - a personal access token, which lives up to 366 days, is refused too once the stack's user pool
 *   says its user is disabled or deleted. Sign-in tokens need no such question: Cognito issues
 *   none to a disabled user, and those issued before expire within the hour.
 * Both questions are asked at once. The local runtime's dev user is never refused.
 */
export function createStandingCheck(sources: StandingSources): StandingCheck {
  return async (actor) => {
    if (actor.anonymous || actor.credential === 'dev') return undefined;
    const [offboarded, status] = await Promise.all([
      sources.isOffboarded(actor.id),
      actor.credential === 'token' && sources.directoryStatus ? sources.directoryStatus(actor.id) : Promise.resolve('enabled' as const),
    ]);
    if (offboarded) return 'the user was offboarded by an administrator';
    if (status === 'disabled') return 'the user is disabled in the user pool';
    if (status === 'gone') return 'the user no longer exists in the user pool';
    return undefined;
  };
}
