/** The identity options (oidc*, userPool*): an external OIDC issuer or the stack's own user pool, and how they agree. */
import { refuseGiven, StackConfigError, stringOption } from './option-readers';
import type { StackConfig, StackOption } from './stack-config';
import { sesMail, type SesMail } from './user-pool-mail-options';

export type OidcTokenUse = 'id' | 'access' | 'any';
export type ThreatProtection = 'off' | 'audit' | 'enforced';

export function parseAudience(raw: unknown): string {
  const audience = stringOption('oidcAudience', raw);
  // One client id; a list would silently accept tokens issued to other applications.
  if (!/^[^\s,]{1,256}$/.test(audience)) throw new StackConfigError('oidcAudience', `'${audience}' must be one client id: 1-256 characters, no spaces or commas`);
  return audience;
}

export function parseUserClaim(raw: unknown): string {
  const claim = stringOption('oidcUserClaim', raw);
  if (!/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/.test(claim)) throw new StackConfigError('oidcUserClaim', `'${claim}' is not a claim name such as sub or cognito:username`);
  return claim;
}

/** Options that describe an external issuer, and mean nothing without one. */
const EXTERNAL_ISSUER_OPTIONS = ['oidcAudience', 'oidcJwksUri', 'oidcTokenUse', 'oidcUserClaim'] as const satisfies readonly StackOption[];

/** Options that shape the stack's own user pool, which an external issuer replaces. */
const USER_POOL_OPTIONS = [
  'userPoolSelfSignUp', 'userPoolThreatProtection',
  'userPoolSesFromEmail', 'userPoolSesFromName', 'userPoolSesVerifiedDomain', 'userPoolSesConfigurationSet', 'userPoolSesRegion',
] as const satisfies readonly StackOption[];

/** The identity options agree with each other: an external issuer, or the stack's own user pool, never half of each. */
export function checkIdentityOptions(config: StackConfig, given: (option: StackOption) => boolean): void {
  if (config.oidcIssuer === undefined) {
    refuseGiven(EXTERNAL_ISSUER_OPTIONS, given, "applies only to an external issuer: set oidcIssuer too, or leave it out to use the stack's own Cognito user pool");
    return;
  }
  if (config.oidcAudience === undefined) {
    throw new StackConfigError('oidcAudience', `is required with oidcIssuer '${config.oidcIssuer}': give the client id its tokens are issued to (their aud claim), or MLHub would accept tokens issued to any application`);
  }
  refuseGiven(USER_POOL_OPTIONS, given, `configures the stack's own Cognito user pool, which is not created when oidcIssuer is set ('${config.oidcIssuer}')`);
}

/** Who vouches for callers: the stack's own Cognito user pool, or an external OIDC issuer. */
export type IdentitySource =
  | { readonly kind: 'userPool'; readonly selfSignUp: boolean; readonly threatProtection: ThreatProtection; readonly sesMail: SesMail | undefined }
  | {
    readonly kind: 'external';
    readonly issuer: string;
    readonly audience: string;
    readonly jwksUri: string | undefined;
    readonly tokenUse: OidcTokenUse;
    readonly userClaim: string;
  };

export function identitySource(config: StackConfig): IdentitySource {
  if (config.oidcIssuer === undefined) {
    return { kind: 'userPool', selfSignUp: config.userPoolSelfSignUp, threatProtection: config.userPoolThreatProtection, sesMail: sesMail(config) };
  }
  if (config.oidcAudience === undefined) throw new StackConfigError('oidcAudience', 'is required with oidcIssuer');
  return {
    kind: 'external',
    issuer: config.oidcIssuer,
    audience: config.oidcAudience,
    jwksUri: config.oidcJwksUri,
    tokenUse: config.oidcTokenUse,
    userClaim: config.oidcUserClaim,
  };
}
