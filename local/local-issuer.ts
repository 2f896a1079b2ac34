import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** The local runtime's stand-in for Cognito: one signing key kept in the data folder. */
export const LOCAL_ISSUER = 'urn:mlhub:local-issuer';
export const LOCAL_AUDIENCE = 'mlhub-local';
const ALGORITHM = 'ES256';

export interface LocalIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The public key set, as served at /.well-known/jwks.json. */
  readonly jwks: { keys: JWK[] };
  sign(user: string, options?: { expiresIn?: string | number; issuedAt?: number }): Promise<string>;
}

/** The folder of a data folder that holds the local issuer's signing key. */
export const LOCAL_ISSUER_DIR = 'identity';

const keyFile = (dataDir: string) => join(dataDir, LOCAL_ISSUER_DIR, 'issuer-key.json');

async function loadOrCreateKey(dataDir: string): Promise<JWK> {
  try {
    return JSON.parse(await readFile(keyFile(dataDir), 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: ALGORITHM, use: 'sig', kid: `local-${Date.now().toString(36)}` };
  await mkdir(join(dataDir, LOCAL_ISSUER_DIR), { recursive: true, mode: 0o700 });
  // The private key signs every local session; only its owner may read it.
  await writeFile(keyFile(dataDir), JSON.stringify(jwk), { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await chmod(keyFile(dataDir), 0o600);
  return JSON.parse(await readFile(keyFile(dataDir), 'utf8')) as JWK;
}

export async function openLocalIssuer(dataDir: string): Promise<LocalIssuer> {
  const privateJwk = await loadOrCreateKey(dataDir);
  const { d: _secret, ...publicJwk } = privateJwk;
  const signingKey = await importJWK(privateJwk, ALGORITHM);
  return {
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    jwks: { keys: [publicJwk] },
    async sign(user, options = {}) {
      const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
      return new SignJWT({ token_use: 'id' })
        .setProtectedHeader({ alg: ALGORITHM, kid: privateJwk.kid ?? 'local' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject(user)
        .setIssuedAt(issuedAt)
        .setExpirationTime(typeof options.expiresIn === 'number' ? issuedAt + options.expiresIn : `${options.expiresIn ?? '12h'}`)
        .sign(signingKey);
    },
  };
}
