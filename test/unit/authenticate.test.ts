import type { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../functions/errors/app-error';
import { createAuthenticator } from '../../functions/identity/authenticate';
import { IDENTITY_RETRY_AFTER_SECONDS } from '../../functions/identity/identity-unavailable';
import { createJwtVerifier } from '../../functions/identity/jwt-verifier';
import { routeById } from '../../functions/routes/route-table';
import type { TokenHolder } from '../../functions/tokens/token-service';

const ISSUER = 'https://issuer.example/pool';
const CLIENT = 'app-client';
let server: Server;
let jwksUri: string;
let signingKey: webcrypto.CryptoKey;
let otherKey: webcrypto.CryptoKey;

async function token(claims: Record<string, unknown>, options: { key?: webcrypto.CryptoKey; issuer?: string; expiresIn?: string | number; kid?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setIssuedAt(now - 60)
    .setExpirationTime(typeof options.expiresIn === 'number' ? now + options.expiresIn : (options.expiresIn ?? '1h'))
    .sign(options.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(jwks));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(() => {
  server?.close();
});

describe('createJwtVerifier', () => {
  const verifier = (extra: { tokenUse?: 'id' | 'access'; userClaim?: string } = {}) =>
    createJwtVerifier({ issuer: ISSUER, audience: CLIENT, jwksUri, userClaim: extra.userClaim ?? 'sub', ...(extra.tokenUse ? { tokenUse: extra.tokenUse } : {}) });

  it('accepts an ID token for the client and returns its subject', async () => {
    await expect(verifier()(await token({ sub: 'alice', aud: CLIENT, token_use: 'id' }))).resolves.toBe('alice');
  });

  it('accepts a Cognito access token, whose client is in client_id', async () => {
    await expect(verifier({ tokenUse: 'access' })(await token({ sub: 'alice', client_id: CLIENT, token_use: 'access' }))).resolves.toBe('alice');
  });

  it('reads the user from the configured claim (an ORCID iD, say)', async () => {
    await expect(verifier({ userClaim: 'orcid' })(await token({ sub: 'x', orcid: '0000-0002-1825-0097', aud: CLIENT }))).resolves.toBe('0000-0002-1825-0097');
  });

  it.each([
    ['an expired token', () => token({ sub: 'a', aud: CLIENT }, { expiresIn: -120 }), /expired/],
    ['another issuer', () => token({ sub: 'a', aud: CLIENT }, { issuer: 'https://evil.example' }), /iss claim/],
    ['a key the issuer does not publish', () => token({ sub: 'a', aud: CLIENT }, { key: otherKey }), /not signed by the configured issuer/],
    ['an unknown key id', () => token({ sub: 'a', aud: CLIENT }, { kid: 'k9' }), /not signed by the configured issuer/],
    ['another application', () => token({ sub: 'a', aud: 'other-client' }), /another application/],
    ['no audience at all', () => token({ sub: 'a' }), /another application/],
    ['no subject', () => token({ aud: CLIENT }), /no sub claim/],
  ])('refuses %s', async (_label, make, reason) => {
    await expect(verifier()(await make())).rejects.toThrow(reason);
  });

  it('refuses garbage and the wrong token use', async () => {
    await expect(verifier()('not.a.jwt')).rejects.toThrow(/malformed/);
    await expect(verifier({ tokenUse: 'id' })(await token({ sub: 'a', client_id: CLIENT, token_use: 'access' }))).rejects.toThrow(/access token was sent where an id token/);
  });

  it('reports an unreachable issuer as unavailable, not as a bad token', async () => {
    const offline = createJwtVerifier({ issuer: ISSUER, audience: CLIENT, jwksUri: 'http://127.0.0.1:9/jwks.json', userClaim: 'sub' });
    await expect(offline(await token({ sub: 'a', aud: CLIENT }))).rejects.toMatchObject({ kind: 'unavailable', code: 'identity_unavailable', headers: { 'retry-after': String(IDENTITY_RETRY_AFTER_SECONDS) } });
  });

  it('refuses every token when no issuer is configured', async () => {
    await expect(createJwtVerifier({ userClaim: 'sub' })(await token({ sub: 'a', aud: CLIENT }))).rejects.toThrow(/accepts no sign-in tokens/);
  });
});

describe('authenticate', () => {
  const pats: Record<string, TokenHolder> = {
    mlh_readonly: { user: 'bot', scope: 'read', tokenId: 'ro01' },
    mlh_readwrite: { user: 'bot', scope: 'write', tokenId: 'rw01' },
  };
  const authenticate = (devUser?: string) => createAuthenticator({
    verifyJwt: createJwtVerifier({ issuer: ISSUER, audience: CLIENT, jwksUri, userClaim: 'sub' }),
    resolveAccessToken: async (presented) => {
      const holder = pats[presented];
      if (!holder) throw new AppError('unauthenticated', 'invalid_token', 'The access token is not valid (unknown or revoked)');
      return holder;
    },
    ...(devUser ? { devUser } : {}),
  });
  const failure = async (promise: Promise<unknown>) => (await promise.then(() => undefined, (error: unknown) => error)) as AppError;

  it('lets anonymous callers into optional routes and asks them to sign in elsewhere', async () => {
    await expect(authenticate()(routeById('getModel'), undefined)).resolves.toMatchObject({ anonymous: true });
    const error = await failure(authenticate()(routeById('createModel'), undefined));
    expect([error.kind, error.code, error.headers['www-authenticate']]).toEqual(['unauthenticated', 'authentication_required', 'Bearer realm="mlhub"']);
  });

  it('acts as the dev user when there are no credentials, only in dev mode', async () => {
    await expect(authenticate('local')(routeById('createModel'), undefined)).resolves.toMatchObject({ id: 'local', credential: 'dev' });
  });

  it('identifies a session and a personal access token', async () => {
    await expect(authenticate()(routeById('createModel'), `Bearer ${await token({ sub: 'alice', aud: CLIENT })}`)).resolves.toMatchObject({ id: 'alice', credential: 'session', scope: 'write' });
    await expect(authenticate()(routeById('createModel'), 'bearer mlh_readwrite')).resolves.toMatchObject({ id: 'bot', credential: 'token', scope: 'write', tokenId: 'rw01' });
  });

  it('refuses a bad token even where anonymous callers are welcome, with RFC 6750 details', async () => {
    const error = await failure(authenticate('local')(routeById('getModel'), `Bearer ${await token({ sub: 'a', aud: CLIENT }, { expiresIn: -120 })}`));
    expect([error.kind, error.code]).toEqual(['unauthenticated', 'invalid_token']);
    expect(error.headers['www-authenticate']).toMatch(/^Bearer realm="mlhub", error="invalid_token", error_description="the token has expired"$/);
    expect((await failure(authenticate()(routeById('getModel'), 'Bearer mlh_revoked'))).code).toBe('invalid_token');
    expect((await failure(authenticate()(routeById('getModel'), 'Basic dXNlcjpwYXNz'))).code).toBe('invalid_token');
  });

  it('keeps read-only tokens off write routes and all tokens off token management', async () => {
    const readOnly = await failure(authenticate()(routeById('updateModel'), 'Bearer mlh_readonly'));
    expect([readOnly.kind, readOnly.code]).toEqual(['forbidden', 'insufficient_scope']);
    await expect(authenticate()(routeById('getModel'), 'Bearer mlh_readonly')).resolves.toMatchObject({ id: 'bot', scope: 'read' });
    const minting = await failure(authenticate()(routeById('createToken'), 'Bearer mlh_readwrite'));
    expect([minting.kind, minting.code]).toEqual(['forbidden', 'session_required']);
  });

  it('ignores credentials on routes that need none', async () => {
    await expect(authenticate()(routeById('getStatus'), 'Bearer garbage')).resolves.toMatchObject({ anonymous: true });
  });
});
