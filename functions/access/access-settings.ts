import * as z from 'zod/mini';
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

const accessDocument = z.strictObject({
  visibility: z.optional(z.enum(['private', 'public'], { error: "must be 'private' or 'public'" })),
  grants: z.optional(
    z.array(
      z.strictObject({
        user: z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(256, 'must be at most 256 characters')),
        role: z.enum(['read', 'write'], { error: "must be 'read' or 'write'" }),
        // What GET /model/{name}/access shows of a grant, so its answer can be sent back as is.
        granted: z.optional(z.unknown()),
        granted_by: z.optional(z.unknown()),
      }),
    ).check(z.maxLength(MAX_GRANTS, `may hold at most ${MAX_GRANTS} users`)),
  ),
  // Fields of the GET answer that a client may send back unchanged.
  model: z.optional(z.unknown()),
  owner: z.optional(z.unknown()),
});

export function parseAccessChange(body: unknown, owner: string): AccessChange {
  const parsed = accessDocument.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'body';
    const message = issue?.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}; allowed: visibility, grants` : `${where} ${issue?.message}`;
    throw invalid('invalid_body', `Invalid access settings: ${message}`);
  }
  const { visibility, grants } = parsed.data;
  if (visibility === undefined && grants === undefined) throw invalid('invalid_body', "Send 'visibility', 'grants', or both");
  if (grants) {
    const users = grants.map((grant) => grant.user);
    const repeated = users.find((user, i) => users.indexOf(user) !== i);
    if (repeated !== undefined) throw invalid('invalid_body', `User '${repeated}' appears twice in grants`);
    if (users.includes(owner)) throw invalid('invalid_body', 'The owner already has full access and cannot be granted a role');
    // Each grant is keyed by its user, in the table and in the "shared with" index.
    for (const user of users) requireKeyFits('user', user, { prefix: GRANT_SORT_PREFIX, kind: 'sort' });
  }
  return { ...(visibility ? { visibility } : {}), ...(grants ? { grants: grants.map(({ user, role }) => ({ user, role })) } : {}) };
}
