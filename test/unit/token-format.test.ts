import { describe, expect, it } from 'vitest';
import { hashSecret, newTokenSecret, parseAccessToken, secretMatches } from '../../functions/tokens/token-format';
import { TokenService } from '../../functions/tokens/token-service';
import { tokenRequest } from '../../functions/contracts/token-contracts';
import { parseRequestPart } from '../../functions/contracts/request-errors';
import type { AccessTokenRecord, TokenStore } from '../../functions/tokens/token-records';
import { userActor } from '../../functions/identity/actor';

class MemoryTokenStore implements TokenStore {
  readonly records = new Map<string, AccessTokenRecord>();
  async put(token: AccessTokenRecord) { this.records.set(token.id, token); }
  async get(id: string) { return this.records.get(id); }
  async listByUser(user: string) { return [...this.records.values()].filter((record) => record.user === user); }
  async delete(user: string, id: string) { return this.records.get(id)?.user === user && this.records.delete(id); }
}

describe('personal access token format', () => {
  it('round-trips and stores only a hash', () => {
    const issued = newTokenSecret();
    const parts = parseAccessToken(issued.token);
    expect(parts?.id).toBe(issued.id);
    expect(issued.token).not.toContain(issued.secretHash);
    expect(secretMatches(parts?.secret ?? '', issued.secretHash)).toBe(true);
    expect(secretMatches('x'.repeat(43), issued.secretHash)).toBe(false);
    expect(hashSecret(parts?.secret ?? '')).toBe(issued.secretHash);
  });

  it.each(['', 'mlh_', 'mlh_short_secret', 'ghp_0123456789abcdef_' + 'a'.repeat(43), 'mlh_0123456789abcdef-' + 'a'.repeat(43)])('rejects %j', (token) => {
    expect(parseAccessToken(token)).toBeUndefined();
  });
});

describe('TokenService', () => {
  const alice = userActor('alice', 'session');

  it('creates, resolves, lists and revokes', async () => {
    const store = new MemoryTokenStore();
    const service = new TokenService(store);
    const { token, record } = await service.create(alice, { name: 'ci', scope: 'write', expires_in_days: 7 });
    expect(record).toMatchObject({ user: 'alice', name: 'ci', scope: 'write' });
    // The secret is base64url, so it may hold '_' itself: take all of it, not the last '_' piece.
    expect(JSON.stringify([...store.records.values()])).not.toContain(parseAccessToken(token)?.secret);
    await expect(service.resolve(token)).resolves.toEqual({ user: 'alice', scope: 'write', tokenId: record.id });
    expect((await service.list(alice)).map((listed) => listed.id)).toEqual([record.id]);
    await expect(service.revoke(userActor('mallory', 'session'), record.id)).rejects.toThrow(/no token/);
    await service.revoke(alice, record.id);
    await expect(service.resolve(token)).rejects.toThrow(/not valid/);
  });

  it('defaults to read scope and 90 days, and refuses expired tokens', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const service = new TokenService(new MemoryTokenStore(), () => now);
    const { token, record } = await service.create(alice, parseRequestPart('body', tokenRequest, { name: 'reader' }));
    expect(record.scope).toBe('read');
    expect(record.expiresAt).toBe('2026-04-01T00:00:00.000Z');
    now = new Date('2026-04-01T00:00:01Z');
    await expect(service.resolve(token)).rejects.toThrow(/expired/);
  });

  it.each([
    [{}, /name/],
    [{ name: 'x', scope: 'admin' }, /scope must be 'read' or 'write'/],
    [{ name: 'x', expires_in_days: 0 }, /at least 1/],
    [{ name: 'x', expires_in_days: 1000 }, /at most 366/],
    [{ name: 'x', colour: 'red' }, /unknown field/],
  ])('rejects the request %j', (body, message) => {
    expect(() => parseRequestPart('body', tokenRequest, body)).toThrow(message);
  });
});
