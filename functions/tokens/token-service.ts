import * as z from 'zod/mini';
import { AppError, invalid, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { isTokenId, newTokenSecret, parseAccessToken, secretMatches } from './token-format';
import type { AccessTokenRecord, TokenScope, TokenStore } from './token-records';

const DAY_MS = 24 * 3600 * 1000;
export const MAX_TOKEN_DAYS = 366;
export const DEFAULT_TOKEN_DAYS = 90;

const newTokenRequest = z.strictObject({
  name: z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(100, 'must be at most 100 characters')),
  scope: z._default(z.enum(['read', 'write'], { error: "must be 'read' or 'write'" }), 'read'),
  expires_in_days: z._default(
    z.number({ error: 'must be a number' }).check(
      z.int({ error: 'must be a whole number' }),
      z.minimum(1, 'must be at least 1'),
      z.maximum(MAX_TOKEN_DAYS, `must be at most ${MAX_TOKEN_DAYS}`),
    ),
    DEFAULT_TOKEN_DAYS,
  ),
});

export interface CreatedToken {
  readonly record: AccessTokenRecord;
  /** The token itself, shown to its owner once and never stored. */
  readonly token: string;
}

export interface TokenHolder {
  readonly user: string;
  readonly scope: TokenScope;
  /** The token's id, as GET /tokens lists it. */
  readonly tokenId: string;
}

/** Personal access tokens: issued to signed-in users for scripts, with an expiry and a scope. */
export class TokenService {
  constructor(private readonly store: TokenStore, private readonly now: () => Date = () => new Date()) {}

  async create(actor: Actor, body: unknown): Promise<CreatedToken> {
    const parsed = newTokenRequest.safeParse(body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'body';
      const message = issue?.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}; allowed: name, scope, expires_in_days` : `${field} ${issue?.message}`;
      throw invalid('invalid_body', `Invalid token request: ${message}`);
    }
    const now = this.now();
    const secret = newTokenSecret();
    const record: AccessTokenRecord = {
      id: secret.id,
      user: actor.id,
      name: parsed.data.name,
      scope: parsed.data.scope,
      secretHash: secret.secretHash,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + parsed.data.expires_in_days * DAY_MS).toISOString(),
    };
    await this.store.put(record);
    return { record, token: secret.token };
  }

  list(actor: Actor): Promise<AccessTokenRecord[]> {
    return this.store.listByUser(actor.id);
  }

  async revoke(actor: Actor, id: string): Promise<void> {
    if (!isTokenId(id)) throw invalid('invalid_token_id', `'${id.slice(0, 40)}' is not a token id: ids are 16 lowercase letters and digits, as GET /tokens lists them`);
    if (!(await this.store.delete(actor.id, id))) throw notFound('token_not_found', `You have no token with id '${id.slice(0, 40)}'`);
  }

  /** The user and scope a presented token stands for; fails alike for unknown, revoked, wrong or expired tokens. */
  async resolve(token: string): Promise<TokenHolder> {
    const parts = parseAccessToken(token);
    const record = parts ? await this.store.get(parts.id) : undefined;
    if (!parts || !record || !secretMatches(parts.secret, record.secretHash)) {
      throw new AppError('unauthenticated', 'invalid_token', 'The access token is not valid (unknown or revoked)');
    }
    if (Date.parse(record.expiresAt) <= this.now().getTime()) {
      throw new AppError('unauthenticated', 'invalid_token', 'The access token has expired');
    }
    return { user: record.user, scope: record.scope, tokenId: record.id };
  }
}

export const tokenView = (record: AccessTokenRecord) => ({
  id: record.id,
  name: record.name,
  scope: record.scope,
  created: record.createdAt,
  expires: record.expiresAt,
});
