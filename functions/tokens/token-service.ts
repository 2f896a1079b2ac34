import type { TokenRequest } from '../contracts/token-contracts';
import { AppError, invalid, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { isTokenId, newTokenSecret, parseAccessToken, secretMatches } from './token-format';
import type { AccessTokenRecord, TokenScope, TokenStore } from './token-records';

const DAY_MS = 24 * 3600 * 1000;
export const MAX_TOKEN_DAYS = 366;
export const DEFAULT_TOKEN_DAYS = 90;

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

  /** Issues a token for the request its contract validated (TokenRequest). */
  async create(actor: Actor, request: TokenRequest): Promise<CreatedToken> {
    const now = this.now();
    const secret = newTokenSecret();
    const record: AccessTokenRecord = {
      id: secret.id,
      user: actor.id,
      name: request.name,
      scope: request.scope,
      secretHash: secret.secretHash,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + request.expires_in_days * DAY_MS).toISOString(),
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
