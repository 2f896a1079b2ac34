import { describe, expect, it } from 'vitest';
import { ANONYMOUS, tokenActor, userActor } from '../../functions/identity/actor';
import type { DirectoryStatus } from '../../functions/identity/cognito-user-status';
import { createStandingCheck } from '../../functions/identity/user-standing';

/** A check over given answers, recording whom it asked what. */
function checkOver(offboarded: readonly string[], directory: Readonly<Record<string, DirectoryStatus>> | undefined) {
  const asked: string[] = [];
  const check = createStandingCheck({
    isOffboarded: async (user) => {
      asked.push(`offboarded?${user}`);
      return offboarded.includes(user);
    },
    ...(directory ? {
      directoryStatus: async (user: string) => {
        asked.push(`pool?${user}`);
        return directory[user] ?? 'gone';
      },
    } : {}),
  });
  return { check, asked };
}

describe('createStandingCheck', () => {
  it('refuses an offboarded user whatever they came with; asks the pool about personal access tokens only', async () => {
    const { check, asked } = checkOver(['ada'], { ada: 'enabled', bob: 'enabled', cy: 'disabled' });
    expect(await check(userActor('ada', 'session'))).toBe('the user was offboarded by an administrator');
    expect(await check(tokenActor('ada', 'read', 't1'))).toBe('the user was offboarded by an administrator');
    expect(await check(userActor('cy', 'session'))).toBeUndefined();
    expect(await check(tokenActor('cy', 'write', 't2'))).toBe('the user is disabled in the user pool');
    expect(await check(tokenActor('dan', 'write', 't3'))).toBe('the user no longer exists in the user pool');
    expect(await check(tokenActor('bob', 'write', 't4'))).toBeUndefined();
    expect(asked).toEqual([
      'offboarded?ada', 'offboarded?ada', 'pool?ada', 'offboarded?cy', 'offboarded?cy', 'pool?cy', 'offboarded?dan', 'pool?dan', 'offboarded?bob', 'pool?bob',
    ]);
  });

  it('asks nothing for anonymous callers and the local dev user, and only the mark with an external issuer', async () => {
    const { check, asked } = checkOver(['local'], undefined);
    expect(await check(ANONYMOUS)).toBeUndefined();
    expect(await check(userActor('local', 'dev'))).toBeUndefined();
    expect(asked).toEqual([]);
    expect(await check(tokenActor('orcid', 'read', 't5'))).toBeUndefined();
    expect(asked).toEqual(['offboarded?orcid']);
  });
});
