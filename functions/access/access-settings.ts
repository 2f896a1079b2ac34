import type { AccessDocument } from '../contracts/access-contracts';
import { invalid } from '../errors/app-error';
import type { Visibility } from '../registry/model-records';
import { GRANT_SORT_PREFIX } from '../registry/table-keys';
import { requireKeyFits } from '../store/storable-values';
import type { GrantRole } from './access-policy';

export interface Grant {
  readonly user: string;
  readonly role: GrantRole;
  readonly grantedAt: string;
  readonly grantedBy: string;
}

export interface AccessChange {
  readonly visibility?: Visibility;
  /** The complete new list of grants, replacing the old one. */
  readonly grants?: readonly { readonly user: string; readonly role: GrantRole }[];
}

export const MAX_GRANTS = 100;

/**
 * Checks that a user id the contract accepted (grantUser, functions/contracts/access-contracts.ts)
 * also fits in a key: each grant is keyed by its user, in the table and in the "shared with"
 * index. Throws 400 invalid_user saying how many bytes fit.
 */
export function requireGrantUserFits(user: string): void {
  requireKeyFits('user', user, { prefix: GRANT_SORT_PREFIX, kind: 'sort' });
}

/**
 * The change a PUT /model/{name}/access body asks for, as its contract validated it
 * (AccessDocument): at least one of visibility and grants, no user twice, never the owner.
 */
export function accessChangeOf(doc: AccessDocument, owner: string): AccessChange {
  const { visibility, grants } = doc;
  if (visibility === undefined && grants === undefined) throw invalid('invalid_body', "Send 'visibility', 'grants', or both");
  if (grants) {
    const users = grants.map((grant) => grant.user);
    const repeated = users.find((user, i) => users.indexOf(user) !== i);
    if (repeated !== undefined) throw invalid('invalid_body', `User '${repeated}' appears twice in grants`);
    if (users.includes(owner)) throw invalid('invalid_body', 'The owner already has full access and cannot be granted a role');
    for (const user of users) requireGrantUserFits(user);
  }
  return { ...(visibility ? { visibility } : {}), ...(grants ? { grants: grants.map(({ user, role }) => ({ user, role })) } : {}) };
}
