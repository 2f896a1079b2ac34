import * as z from 'zod/mini';
import { MAX_GRANTS } from '../access/access-settings';
import { ERROR_GROUPS as G } from './error-groups';
import { label } from './labels';
import { modelParams } from './parameters';
import { echoed } from './request-errors';
import { contract } from './route-contract';
import * as views from './views';

/**
 * A user id as a grant names it: a short label (labels.ts), trimmed, up to 256 characters. The
 * offboarding script takes user ids by the same schema (scripts/offboard-user.ts), so every user
 * a grant may name can be offboarded.
 */
export const grantUser = label(256);

/**
 * What `PUT /model/{name}/access` takes: the visibility, the complete new list of grants, or
 * both. The fields of the GET answer may be sent back as they are; they are ignored.
 */
export const accessDocument = z.strictObject({
  visibility: z.optional(z.enum(['private', 'public'], { error: "must be 'private' or 'public'" })),
  grants: z.optional(
    z.array(
      z.strictObject({
        user: grantUser,
        role: z.enum(['read', 'write'], { error: "must be 'read' or 'write'" }),
        granted: echoed(z.optional(z.unknown())),
        granted_by: echoed(z.optional(z.unknown())),
      }),
    ).check(z.maxLength(MAX_GRANTS, `may hold at most ${MAX_GRANTS} users`)),
  ),
  model: echoed(z.optional(z.unknown())),
  owner: echoed(z.optional(z.unknown())),
}).register(z.globalRegistry, { id: 'AccessDocument', description: 'Privacy settings to set: visibility, the complete list of grants, or both' });

export type AccessDocument = z.output<typeof accessDocument>;

const accessErrors = [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.namedModel, 'forbidden'] as const;

export const getAccess = contract({
  route: 'getAccess',
  params: modelParams,
  responses: { 200: { description: "The model's visibility and grants", body: views.access } },
  errors: accessErrors,
});

export const putAccess = contract({
  route: 'putAccess',
  params: modelParams,
  body: accessDocument,
  responses: { 200: { description: 'The settings as they now stand', body: views.access } },
  errors: [...accessErrors, ...G.writeScope, ...G.jsonBody, 'invalid_user', 'user_offboarded', 'model_published'],
});
