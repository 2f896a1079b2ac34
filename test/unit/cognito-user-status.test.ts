/**
 * The user pool lookup, with the real SDK client against a server that follows the Cognito
 * Identity Provider API (test/support/fake-cognito.ts), and a clock the test moves.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCognitoUserStatus } from '../../functions/identity/cognito-user-status';
import { AppError } from '../../functions/errors/app-error';
import { IDENTITY_RETRY_AFTER_SECONDS } from '../../functions/identity/identity-unavailable';
import { startFakeCognito, type FakeCognito } from '../support/fake-cognito';

const POOL = 'eu-west-1_UnitPool9';
const credentials = { accessKeyId: 'AKIDUNITTEST', secretAccessKey: 'unit-test-secret' };
let cognito: FakeCognito;
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  cognito = await startFakeCognito({ userPoolId: POOL, credentials });
  client = new CognitoIdentityProviderClient({ endpoint: cognito.url, region: 'eu-west-1', credentials, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await cognito?.close();
});

const clock = () => {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('createCognitoUserStatus', () => {
  it('says enabled, disabled or gone, and keeps each answer for the window counted from the question', async () => {
    const time = clock();
    const status = createCognitoUserStatus({ client, userPoolId: POOL, cacheSeconds: 300, now: time.now });
    cognito.setUser('u-enabled', true);
    cognito.setUser('u-disabled', false);
    const before = cognito.calls.length;
    expect(await status('u-enabled')).toBe('enabled');
    expect(await status('u-disabled')).toBe('disabled');
    expect(await status('u-missing')).toBe('gone');
    expect(cognito.calls.slice(before)).toEqual(['u-enabled', 'u-disabled', 'u-missing'].map((Username) => ({ target: 'AdminGetUser', body: { UserPoolId: POOL, Username }, problems: [] })));

    cognito.setUser('u-enabled', false);
    cognito.setUser('u-missing', true);
    time.advance(299_999);
    expect([await status('u-enabled'), await status('u-missing')]).toEqual(['enabled', 'gone']);
    expect(cognito.calls.length - before).toBe(3);
    time.advance(1);
    expect([await status('u-enabled'), await status('u-missing')]).toEqual(['disabled', 'enabled']);
    expect(cognito.calls.length - before).toBe(5);
  });

  it('asks on every call with a window of 0', async () => {
    const status = createCognitoUserStatus({ client, userPoolId: POOL, cacheSeconds: 0 });
    cognito.setUser('u-zero', true);
    const before = cognito.calls.length;
    await status('u-zero');
    await status('u-zero');
    expect(cognito.calls.length - before).toBe(2);
  });

  it('keeps at most maxEntries answers, dropping the oldest', async () => {
    const status = createCognitoUserStatus({ client, userPoolId: POOL, cacheSeconds: 300, maxEntries: 2, now: clock().now });
    for (const user of ['u-a', 'u-b', 'u-c']) cognito.setUser(user, true);
    const before = cognito.calls.length;
    for (const user of ['u-a', 'u-b', 'u-c']) await status(user);
    await status('u-c');
    await status('u-b');
    expect(cognito.calls.length - before).toBe(3);
    await status('u-a');
    expect(cognito.calls.length - before).toBe(4);
  });

  it('fails closed with 503 identity_unavailable when the pool cannot answer, and keeps no answer from it', async () => {
    const status = createCognitoUserStatus({ client, userPoolId: POOL, cacheSeconds: 300 });
    cognito.setUser('u-outage', false);
    cognito.outage = true;
    try {
      const error = await status('u-outage').then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(AppError);
      expect([(error as AppError).kind, (error as AppError).code]).toEqual(['unavailable', 'identity_unavailable']);
      expect((error as AppError).headers).toEqual({ 'retry-after': String(IDENTITY_RETRY_AFTER_SECONDS) });
    } finally {
      cognito.outage = false;
    }
    expect(await status('u-outage')).toBe('disabled');
    // Another pool, or a refused signature, is no answer either.
    const elsewhere = createCognitoUserStatus({ client, userPoolId: 'eu-west-1_Other1', cacheSeconds: 300 });
    await expect(elsewhere('u-outage')).rejects.toMatchObject({ code: 'identity_unavailable' });
    const forged = new CognitoIdentityProviderClient({ endpoint: cognito.url, region: 'eu-west-1', credentials: { ...credentials, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    await expect(createCognitoUserStatus({ client: forged, userPoolId: POOL, cacheSeconds: 300 })('u-outage')).rejects.toMatchObject({ code: 'identity_unavailable' });
    expect(cognito.calls.at(-1)?.problems[0]).toMatch(/^signature: SignatureDoesNotMatch/);
    forged.destroy();
  });
});
