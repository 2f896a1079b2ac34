import * as z from 'zod/mini';
import { DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS } from '../tokens/token-service';
import { ERROR_GROUPS as G } from './error-groups';
import { label } from './labels';
import { issuedIdParam } from './parameters';
import { contract } from './route-contract';
import * as views from './views';

/** What `POST /tokens` takes. */
export const tokenRequest = z.strictObject({
  name: label(100),
  scope: z._default(z.enum(['read', 'write'], { error: "must be 'read' or 'write'" }), 'read'),
  expires_in_days: z._default(
    z.number({ error: 'must be a number' }).check(
      z.int({ error: 'must be a whole number' }),
      z.minimum(1, 'must be at least 1'),
      z.maximum(MAX_TOKEN_DAYS, `must be at most ${MAX_TOKEN_DAYS}`),
    ),
    DEFAULT_TOKEN_DAYS,
  ),
}).register(z.globalRegistry, { id: 'TokenRequest', description: `A token to issue: its name, its scope (default read) and its life in days (default ${DEFAULT_TOKEN_DAYS}, at most ${MAX_TOKEN_DAYS})` });

export type TokenRequest = z.output<typeof tokenRequest>;

const tokenErrors = [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.sessionOnly] as const;

export const createToken = contract({
  route: 'createToken',
  body: tokenRequest,
  responses: {
    201: {
      description: 'The token, shown this once: MLHub keeps only its hash',
      body: z.strictObject({ ...views.token.def.shape, token: z.string(), note: z.string() }),
    },
  },
  errors: [...tokenErrors, ...G.jsonBody],
});

export const listTokens = contract({
  route: 'listTokens',
  responses: { 200: { description: "The caller's tokens, never their secrets", body: z.array(views.token) } },
  errors: tokenErrors,
});

export const deleteToken = contract({
  route: 'deleteToken',
  params: z.object({ id: issuedIdParam('The token id, as GET /tokens lists it') }),
  responses: { 200: { description: 'The token is revoked', body: z.strictObject({ id: z.string(), revoked: z.literal(true) }) } },
  errors: [...tokenErrors, 'invalid_id', 'invalid_token_id', 'token_not_found'],
});
