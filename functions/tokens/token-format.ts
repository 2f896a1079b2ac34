import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Personal access tokens look like `mlh_<id>_<secret>`: the id finds the stored record, the
 * secret proves possession. Only the secret's SHA-256 is stored; the secret has 256 bits of
 * entropy, so a fast hash is enough (as for GitHub's tokens).
 */
export const TOKEN_PREFIX = 'mlh_';

const ID_PATTERN = /^[a-z0-9]{16}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedSecret {
  readonly id: string;
  readonly token: string;
  readonly secretHash: string;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export function newTokenSecret(): IssuedSecret {
  const id = randomBytes(10).toString('hex').slice(0, 16);
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** Whether a string has the form of a token id (`DELETE /tokens/{id}`), before any lookup. */
export const isTokenId = (id: string): boolean => ID_PATTERN.test(id);

export const looksLikeAccessToken = (bearer: string): boolean => bearer.startsWith(TOKEN_PREFIX);

/** Splits a presented token, or undefined when it cannot be one of ours. */
export function parseAccessToken(token: string): { id: string; secret: string } | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const rest = token.slice(TOKEN_PREFIX.length);
  const id = rest.slice(0, 16);
  const secret = rest.slice(17);
  if (rest[16] !== '_' || !ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return undefined;
  return { id, secret };
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
