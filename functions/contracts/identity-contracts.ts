import * as z from 'zod/mini';
import { ERROR_GROUPS as G } from './error-groups';
import { contract } from './route-contract';

/** functions/identity/caller-view.ts CallerView. */
const caller = z.strictObject({
  user: z.string(),
  auth: z.enum(['session', 'token', 'dev']),
  scope: z.nullable(z.enum(['read', 'write'])),
  token_id: z.nullable(z.string()),
}).register(z.globalRegistry, {
  id: 'Caller',
  description: "The caller: their user id (what others name in a grant to share a model with them), how they signed in (session, token, or the local runtime's dev mode), and, when by token, its scope and id",
});

export const getMe = contract({
  route: 'getMe',
  responses: { 200: { description: 'Who the caller is', body: caller, headers: { 'cache-control': 'no-store: the answer depends on the credentials sent' } } },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn],
});
