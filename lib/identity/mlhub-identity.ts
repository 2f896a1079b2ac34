import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolEmail,
  type UserPoolClient,
  type UserPoolProps,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { IDENTITY_ENV } from '../../functions/identity/identity-config';
import type { IdentitySource, SesMail, ThreatProtection } from '../config/stack-config';

export interface MlHubIdentityProps {
  readonly source: IdentitySource;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The tokens the stack's own user pool is trusted for. MLHub accepts Cognito ID tokens: their
 * `aud` is the app client, as in the ID tokens of ORCID and of the local issuer, so one rule
 * serves every issuer. A Cognito access token is refused by its `token_use`.
 */
export const USER_POOL_TOKEN_USE = 'id';

/** What each threat-protection setting asks of the user pool. */
const THREAT_PROTECTION: Readonly<Record<ThreatProtection, Pick<UserPoolProps, 'featurePlan' | 'standardThreatProtectionMode'>>> = {
  off: { featurePlan: FeaturePlan.ESSENTIALS },
  audit: { featurePlan: FeaturePlan.PLUS, standardThreatProtectionMode: StandardThreatProtectionMode.AUDIT_ONLY },
  enforced: { featurePlan: FeaturePlan.PLUS, standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION },
};

/**
 * Cognito's own sender by default (a few dozen mails a day, from no-reply@verificationemail.com);
 * with an SES identity, mail goes through SES in the account (sending account DEVELOPER), in the
 * identity's region, which is the stack's unless given.
 */
function userPoolEmail(mail: SesMail | undefined): UserPoolEmail | undefined {
  if (!mail) return undefined;
  return UserPoolEmail.withSES({
    fromEmail: mail.fromEmail,
    ...(mail.fromName !== undefined ? { fromName: mail.fromName } : {}),
    ...(mail.verifiedDomain !== undefined ? { sesVerifiedDomain: mail.verifiedDomain } : {}),
    ...(mail.configurationSet !== undefined ? { configurationSetName: mail.configurationSet } : {}),
    // The stack is environment-agnostic, so its region is known only at deploy time.
    sesRegion: mail.region ?? Aws.REGION,
  });
}

/** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of the pool's tokens. */
const userPoolIssuer = (userPool: UserPool): string => `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${userPool.userPoolId}`;

/**
 * Who vouches for MLHub's callers. By default the stack's own Cognito user pool, with one app
 * client for the CLI and browsers; with an external OIDC issuer (ORCID, for instance) nothing is
 * created and the functions are pointed at that issuer instead.
 */
export class MlHubIdentity extends Construct {
  /** The stack's user pool; undefined with an external issuer. */
  readonly userPool?: UserPool;
  /** The public app client (no secret) that researchers sign in through; undefined with an external issuer. */
  readonly userPoolClient?: UserPoolClient;
  /** The `iss` of accepted tokens. */
  readonly issuer: string;
  /** What every route's function is told about the issuer, by IDENTITY_ENV name. */
  readonly functionEnvironment: Readonly<Record<string, string>>;
  /**
   * The stack's user pool as the functions that authenticate ask it whether a personal access
   * token's user is still enabled: its ARN, to grant AdminGetUser on, and the id they are told.
   * Undefined with an external issuer, which offers no such question.
   */
  readonly userStatus?: { readonly userPoolArn: string; readonly environment: Readonly<Record<string, string>> };

  constructor(scope: Construct, id: string, props: MlHubIdentityProps) {
    super(scope, id);
    const { source } = props;

    if (source.kind === 'external') {
      this.issuer = source.issuer;
      this.functionEnvironment = {
        [IDENTITY_ENV.issuer]: source.issuer,
        [IDENTITY_ENV.audience]: source.audience,
        ...(source.jwksUri !== undefined ? { [IDENTITY_ENV.jwksUri]: source.jwksUri } : {}),
        ...(source.tokenUse !== 'any' ? { [IDENTITY_ENV.tokenUse]: source.tokenUse } : {}),
        ...(source.userClaim !== 'sub' ? { [IDENTITY_ENV.userClaim]: source.userClaim } : {}),
      };
      return;
    }

    const retained = props.removalPolicy === RemovalPolicy.RETAIN;
    const userPool = new UserPool(this, 'UserPool', {
      // Researchers sign in with their email address; their MLHub user id is the pool's `sub`.
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // A changed address takes effect only once verified, so an account cannot be pointed at a mailbox its owner does not hold.
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      selfSignUpEnabled: source.selfSignUp,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      // Private models and unpublished work sit behind these accounts: a password alone is not enough.
      // An authenticator app (TOTP) only: no SMS, so no SNS role, spending or SIM-swap exposure.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      ...(source.sesMail ? { email: userPoolEmail(source.sesMail) } : {}),
      ...THREAT_PROTECTION[source.threatProtection],
      // Every model's owner and grants name users by their sub: a replaced pool would orphan them all.
      deletionProtection: retained,
      removalPolicy: props.removalPolicy,
    });

    const client = userPool.addClient('AppClient', {
      userPoolClientName: 'mlhub',
      // A public client: the CLI and browser code cannot keep a secret.
      generateSecret: false,
      // SRP for the CLI and browsers (the password never leaves the client); USER_PASSWORD_AUTH so
      // that `aws cognito-idp initiate-auth` can fetch a token (over TLS, with the MFA challenge).
      authFlows: { userSrp: true, userPassword: true },
      // No hosted-UI flows until a client registers its redirect URIs: CDK's default would
      // otherwise enable the implicit grant to https://example.com.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      // Time to answer a sign-in challenge by hand (new password, authenticator code).
      authSessionValidity: Duration.minutes(10),
      enableTokenRevocation: true,
    });

    if (source.threatProtection === 'off') {
      Validations.of(userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: "Threat protection needs the Plus feature plan, billed for every monthly active user with no free tier; the default Essentials plan with required TOTP MFA and a 12-character password policy is the deployer's to upgrade with userPoolThreatProtection=audit|enforced",
      });
    }

    this.userPool = userPool;
    this.userPoolClient = client;
    this.issuer = userPoolIssuer(userPool);
    this.functionEnvironment = {
      [IDENTITY_ENV.issuer]: this.issuer,
      [IDENTITY_ENV.audience]: client.userPoolClientId,
      [IDENTITY_ENV.tokenUse]: USER_POOL_TOKEN_USE,
    };
    this.userStatus = { userPoolArn: userPool.userPoolArn, environment: { [IDENTITY_ENV.userPoolId]: userPool.userPoolId } };
  }
}
