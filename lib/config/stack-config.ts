import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULT_BUNDLE_LIMITS } from '../../functions/bundles/bundle-limits';
import { DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_PRESIGN_SECONDS } from '../../functions/platform/function-config';
import { originProblem } from '../../functions/http/cors';
import { parseRateLimitPolicy, type RateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import { checkBackendRules, parseBackendAssignments, parseBackendUrlAllowlist, parseModelBackends, type BackendAssignments, type ModelBackends } from './backend-options';
import { checkIdentityOptions, parseAudience, parseUserClaim, type OidcTokenUse, type ThreatProtection } from './identity-options';
import { checkNotificationOptions, parseBudget, reservedConcurrency } from './operations-options';
import { checkPublishingOptions, parseDataciteEndpoint, parseDoiPrefix, parsePublisher, parseRepositoryId, parseSecretName } from './publishing-options';
import { DEFAULT_DATACITE_ENDPOINT, DEFAULT_PUBLISHER } from '../../functions/publishing/publishing-config';
import { AWS_REGION, booleanOption, DOMAIN_NAME, emailAddress, fromJsonText, httpsUrl, matching, oneOf, parseByteSize, StackConfigError, stringOption, wholeNumber } from './option-readers';
import { DEFAULT_RATE_LIMITS, DEFAULT_ROUTE_THROTTLES, parseRateLimits, parseRouteThrottles, type RouteThrottles } from './request-limit-options';
import { checkSesOptions, parseFromName, SES_CONFIGURATION_SET } from './user-pool-mail-options';

// Every option's type and check lives with its kind of option; importers keep this one entry point.
export { endpointNameOf, perModelEndpointPatterns, perModelUrlPatterns, sagemakerEndpointArns, sharedAndPerModelEndpoints } from './backend-options';
export type { BackendAssignments, ModelBackend, ModelBackends } from './backend-options';
export { identitySource } from './identity-options';
export type { IdentitySource, OidcTokenUse, ThreatProtection } from './identity-options';
export { optionEnvName, StackConfigError } from './option-readers';
export { doiPublishing, isSecretArn } from './publishing-options';
export type { DoiPublishing } from './publishing-options';
export { DEFAULT_RATE_LIMITS, DEFAULT_ROUTE_THROTTLES } from './request-limit-options';
export type { RouteThrottles, Throttle } from './request-limit-options';
export type { SesMail } from './user-pool-mail-options';

/** Everything a deployment may choose. See the README's "Deploy to AWS" section. */
export interface StackConfig {
  /** Names the stack (`MlHub-<stage>`), so several deployments can share one account. */
  readonly stage: string;
  /** `retain` keeps the table and buckets when the stack is deleted (and protects the table from deletion). */
  readonly removalPolicy: 'retain' | 'destroy';
  /** Browser origins allowed to call the API and to upload to the bundle bucket on presigned URLs. */
  readonly corsOrigins: readonly string[];
  /** Per model type: its default backend and the SageMaker endpoints the predict functions may invoke. */
  readonly modelBackends: ModelBackends;
  /**
   * Backend URLs a model's own `meta.backend` may name (MLHUB_BACKEND_URL_ALLOWLIST): origins such
   * as `https://tfs.example.org`, optionally with a path prefix, or with `:*` for any port.
   */
  readonly backendUrlAllowlist: readonly string[];
  /**
   * Backends the operator assigned to single models (MLHUB_BACKEND_ASSIGNMENTS), which only that
   * model's `meta.backend` may name, and only while the model of that name is the owner's:
   * `{"<model name>": {"owner": "<user id>", "backends": ["<endpoint name>" | "<url prefix>", …]}}`
   * (names are reused after DELETE; the list alone, the form before owners, fails synth).
   * Endpoints must fall under some type's `sagemakerEndpointArns`; nothing may be what a
   * `{model}` pattern reserves for another model (functions/inference/backend-access.ts).
   */
  readonly backendAssignments: BackendAssignments;
  readonly logRetentionDays: RetentionDays;
  /** Stage-wide API Gateway throttling: steady requests per second, and the burst above it. */
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /**
   * Stricter throttles for the routes of some classes of requests (each route on its own, for all
   * callers together): predictions hold a 2 GB function up to 29 s, uploads and writes cost more
   * than reads. A class left out has the stage-wide throttle.
   */
  readonly routeThrottles: RouteThrottles;
  /**
   * Requests each caller may make per window, by class (read, write, predict, upload, and
   * predict-anonymous for predictions by callers without a token), kept in
   * the table (functions/rate-limits/); given to the functions as MLHUB_RATE_LIMITS. Empty: off.
   */
  readonly rateLimits: RateLimitPolicy;
  /** Days an overwritten or deleted bundle object survives as a noncurrent version. */
  readonly noncurrentVersionDays: number;
  /**
   * The largest bundle an upload session may declare (MLHUB_MAX_BUNDLE_BYTES), refused with 413
   * before any byte moves. The finalizer must stream a bundle within its timeout, so this is also
   * a promise about how fast it reads. Never more than maxUnpackedBytes (a bundle that large
   * would be refused after its whole upload); when not given, the smaller of 50 GiB and that.
   */
  readonly maxBundleBytes: number;
  /**
   * The most bytes a bundle's gzip stream may inflate to (MLHUB_MAX_UNPACKED_BYTES, the tar-bomb
   * guard), told to every function that checks bundles: the finalizer, the sweep, and the routes
   * that upload directly or complete uploads.
   */
  readonly maxUnpackedBytes: number;
  /** How long presigned upload and download URLs stay valid (MLHUB_PRESIGN_SECONDS). */
  readonly presignSeconds: number;
  /**
   * An external OIDC issuer (ORCID, an institution's IdP, another Cognito pool): the exact `iss`
   * of the tokens to accept. Unset, the stack creates its own Cognito user pool and app client.
   */
  readonly oidcIssuer: string | undefined;
  /** The external issuer's client id for MLHub: the `aud` of its tokens. Required with oidcIssuer. */
  readonly oidcAudience: string | undefined;
  /** Where the external issuer publishes its keys, when not at `<issuer>/.well-known/jwks.json`. */
  readonly oidcJwksUri: string | undefined;
  /** Which of the external issuer's tokens to accept: `id` tokens, `access` tokens, or `any`. */
  readonly oidcTokenUse: OidcTokenUse;
  /** The claim of the external issuer's tokens that names the user. */
  readonly oidcUserClaim: string;
  /** Whether anyone may create an account in the stack's user pool, or only administrators. */
  readonly userPoolSelfSignUp: boolean;
  /** Cognito threat protection for the stack's user pool; anything but `off` needs the (paid) Plus feature plan. */
  readonly userPoolThreatProtection: ThreatProtection;
  /**
   * The SES identity the stack's user pool sends its mail from (Cognito's EmailConfiguration
   * `From`, sending account DEVELOPER): an address verified in SES, or at a domain verified there.
   * Unset, Cognito sends with its own default sender and its small daily quota.
   */
  readonly userPoolSesFromEmail: string | undefined;
  /** The display name before the from-address (`MLHub <no-reply@example.org>`). */
  readonly userPoolSesFromName: string | undefined;
  /** The SES-verified domain the from-address belongs to, when the domain rather than the address is verified. */
  readonly userPoolSesVerifiedDomain: string | undefined;
  /** An SES configuration set to send through (event publishing, dedicated IPs). */
  readonly userPoolSesConfigurationSet: string | undefined;
  /** The region of the SES identity; the stack's own region when unset. */
  readonly userPoolSesRegion: string | undefined;
  /**
   * Whether the stack creates an SNS topic that every alarm notifies (and the budget, if any).
   * Implied by alarmEmail; without either, alarms only change state in CloudWatch.
   */
  readonly alarmTopic: boolean;
  /** An e-mail address subscribed to the alarm topic (SNS asks it to confirm the subscription). */
  readonly alarmEmail: string | undefined;
  /** A monthly AWS Budget for the account's cost, in USD, notifying the alarm topic and e-mail; none when unset. */
  readonly monthlyBudgetUsd: number | undefined;
  /**
   * Reserved concurrent executions of each function that predicts (Lambda's
   * ReservedConcurrentExecutions): a ceiling on what predictions may cost and a floor the rest of
   * the account cannot take. 0 leaves them unreserved.
   */
  readonly predictReservedConcurrency: number;
  /** Reserved concurrent executions of the upload finalizer; 0 leaves it unreserved. */
  readonly finalizerReservedConcurrency: number;
  /**
   * Chunks of one batch job run at once in the cloud: the job state machine's Distributed Map
   * MaxConcurrency (1 to 10,000, Step Functions' ceiling for child executions of a Map Run; the
   * local runner's is MLHUB_JOB_CONCURRENCY). Each chunk is one invocation of the chunk worker.
   */
  readonly jobConcurrency: number;
  /** The most memory (MemorySizeInMB: 1024 to 6144, in steps of 1024) a deploy may give a version's serverless endpoint. */
  readonly endpointMaxMemoryMb: number;
  /** The most concurrent invocations (MaxConcurrency, 1 to 200) a deploy may give a version's serverless endpoint. */
  readonly endpointMaxConcurrency: number;
  /** The most versions of one model deployed at once (endpoints in any state but deleting; 2 lets a new version come up while the old one serves). */
  readonly endpointsPerModel: number;
  /** The most versions deployed at once over one user's models: each endpoint draws on the account's SageMaker serverless quotas, shared by all users. */
  readonly endpointsPerUser: number;
  /**
   * Whether deployed endpoints may load pickles (scikit-learn's joblib and pickle files): a pickle
   * is code, run as its uploader wrote it, inside the endpoint's network-isolated container. Off
   * by default: the operator decides.
   */
  readonly endpointPickles: boolean;
  /**
   * The DataCite repository's DOI prefix (`10.` and 4 to 9 digits) that published versions get
   * their DOIs under. Unset, the deployment does not publish (the publish route answers 503).
   */
  readonly doiPrefix: string | undefined;
  /** The DataCite repository id (Fabrica's, such as `ABC.MLHUB`) the prefix belongs to. Required with doiPrefix. */
  readonly dataciteRepositoryId: string | undefined;
  /**
   * An existing Secrets Manager secret whose SecretString is the repository's password, by name
   * (`mlhub/datacite`) or complete ARN, in the stack's account and region. Required with doiPrefix.
   */
  readonly dataciteSecretName: string | undefined;
  /** DataCite's REST API: its test system by default, `https://api.datacite.org` for real DOIs. */
  readonly dataciteEndpoint: string;
  /** DataCite's `publisher` of every DOI: who makes the models available. */
  readonly doiPublisher: string;
}

export const DEFAULT_STACK_CONFIG: StackConfig = {
  stage: 'dev',
  removalPolicy: 'retain',
  corsOrigins: [],
  modelBackends: {},
  backendUrlAllowlist: [],
  backendAssignments: {},
  logRetentionDays: RetentionDays.THREE_MONTHS,
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  routeThrottles: DEFAULT_ROUTE_THROTTLES,
  rateLimits: parseRateLimitPolicy(DEFAULT_RATE_LIMITS),
  noncurrentVersionDays: 30,
  maxBundleBytes: Math.min(DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_BUNDLE_LIMITS.maxUnpackedBytes),
  maxUnpackedBytes: DEFAULT_BUNDLE_LIMITS.maxUnpackedBytes,
  presignSeconds: DEFAULT_PRESIGN_SECONDS,
  oidcIssuer: undefined,
  oidcAudience: undefined,
  oidcJwksUri: undefined,
  oidcTokenUse: 'id',
  oidcUserClaim: 'sub',
  userPoolSelfSignUp: false,
  userPoolThreatProtection: 'off',
  userPoolSesFromEmail: undefined,
  userPoolSesFromName: undefined,
  userPoolSesVerifiedDomain: undefined,
  userPoolSesConfigurationSet: undefined,
  userPoolSesRegion: undefined,
  alarmTopic: false,
  alarmEmail: undefined,
  monthlyBudgetUsd: undefined,
  predictReservedConcurrency: 10,
  finalizerReservedConcurrency: 5,
  jobConcurrency: 10,
  endpointMaxMemoryMb: 6144,
  endpointMaxConcurrency: 10,
  endpointsPerModel: 2,
  endpointsPerUser: 5,
  endpointPickles: false,
  doiPrefix: undefined,
  dataciteRepositoryId: undefined,
  dataciteSecretName: undefined,
  dataciteEndpoint: DEFAULT_DATACITE_ENDPOINT,
  doiPublisher: DEFAULT_PUBLISHER,
};

export type StackOption = keyof StackConfig;

export const STACK_OPTIONS = Object.keys(DEFAULT_STACK_CONFIG) as StackOption[];

/** Reads a raw option value: CDK context (`-c key=value` or cdk.json) first, then the environment. */
export type OptionLookup = (option: StackOption) => unknown;

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const RETENTION_DAYS = new Set(Object.values(RetentionDays).filter((value): value is RetentionDays => typeof value === 'number'));

function parseStage(raw: unknown): string {
  const stage = stringOption('stage', raw);
  if (!STAGE_PATTERN.test(stage)) throw new StackConfigError('stage', `'${stage}' must be 1-20 lowercase letters, digits or '-', starting with a letter`);
  return stage;
}

function parseRemovalPolicy(raw: unknown): StackConfig['removalPolicy'] {
  const policy = stringOption('removalPolicy', raw).toLowerCase();
  if (policy !== 'retain' && policy !== 'destroy') throw new StackConfigError('removalPolicy', `expected 'retain' or 'destroy', got '${policy}'`);
  return policy;
}

function parseOrigin(raw: unknown): string {
  const text = stringOption('corsOrigins', raw);
  // The rule the functions apply to MLHUB_CORS_ORIGINS (functions/http/cors.ts).
  const problem = originProblem(text);
  if (problem) throw new StackConfigError('corsOrigins', problem);
  return text;
}

function parseCorsOrigins(raw: unknown): readonly string[] {
  const list = fromJsonText(raw);
  const items = typeof list === 'string' ? list.split(',').map((item) => item.trim()).filter((item) => item !== '') : list;
  if (!Array.isArray(items)) throw new StackConfigError('corsOrigins', 'expected a comma-separated list or a JSON array of origins');
  return [...new Set(items.map(parseOrigin))];
}

/** The bounds of maxBundleBytes: a bundle must be allowed past one multipart part, and S3 stores objects of at most 5 TiB. */
export const MAX_BUNDLE_BYTES_RANGE = { min: 1024 ** 2, max: 5 * 1024 ** 4 } as const;

function parseRetention(raw: unknown): RetentionDays {
  const days = wholeNumber('logRetentionDays', raw, 1, Number.MAX_SAFE_INTEGER);
  if (!RETENTION_DAYS.has(days)) {
    throw new StackConfigError('logRetentionDays', `CloudWatch Logs accepts only ${[...RETENTION_DAYS].join(', ')} days, got ${days}`);
  }
  return days;
}

const PARSERS: { readonly [option in StackOption]: (raw: unknown) => StackConfig[option] } = {
  stage: parseStage,
  removalPolicy: parseRemovalPolicy,
  corsOrigins: parseCorsOrigins,
  modelBackends: parseModelBackends,
  backendUrlAllowlist: parseBackendUrlAllowlist,
  backendAssignments: parseBackendAssignments,
  logRetentionDays: parseRetention,
  // API Gateway's account-level ceilings are 10,000 rps and a 5,000 burst.
  throttleRateLimit: (raw) => wholeNumber('throttleRateLimit', raw, 1, 10_000),
  throttleBurstLimit: (raw) => wholeNumber('throttleBurstLimit', raw, 1, 5_000),
  routeThrottles: parseRouteThrottles,
  rateLimits: parseRateLimits,
  noncurrentVersionDays: (raw) => wholeNumber('noncurrentVersionDays', raw, 1, 3650),
  maxBundleBytes: (raw) => parseByteSize('maxBundleBytes', raw, MAX_BUNDLE_BYTES_RANGE),
  maxUnpackedBytes: (raw) => parseByteSize('maxUnpackedBytes', raw, MAX_BUNDLE_BYTES_RANGE),
  // A URL signed with a function's temporary credentials dies with them, whatever it says, and
  // Lambda promises them for no fixed time: keep URLs short, and let clients ask for fresh ones.
  presignSeconds: (raw) => wholeNumber('presignSeconds', raw, 60, 3600),
  oidcIssuer: (raw) => httpsUrl('oidcIssuer', raw, "an issuer URL such as https://orcid.org, exactly as the tokens' iss claim gives it"),
  oidcAudience: parseAudience,
  oidcJwksUri: (raw) => httpsUrl('oidcJwksUri', raw, 'a JWKS URL such as https://orcid.org/oauth/jwks'),
  oidcTokenUse: (raw) => oneOf('oidcTokenUse', raw, ['id', 'access', 'any']),
  oidcUserClaim: parseUserClaim,
  userPoolSelfSignUp: (raw) => booleanOption('userPoolSelfSignUp', raw),
  userPoolThreatProtection: (raw) => oneOf('userPoolThreatProtection', raw, ['off', 'audit', 'enforced']),
  userPoolSesFromEmail: (raw) => emailAddress('userPoolSesFromEmail', raw),
  userPoolSesFromName: parseFromName,
  userPoolSesVerifiedDomain: (raw) => matching('userPoolSesVerifiedDomain', raw, DOMAIN_NAME, 'a domain name such as example.org').toLowerCase(),
  userPoolSesConfigurationSet: (raw) => matching('userPoolSesConfigurationSet', raw, SES_CONFIGURATION_SET, 'an SES configuration set name (letters, digits, _ and -, at most 64)'),
  userPoolSesRegion: (raw) => matching('userPoolSesRegion', raw, AWS_REGION, 'an AWS region such as eu-west-1'),
  alarmTopic: (raw) => booleanOption('alarmTopic', raw),
  alarmEmail: (raw) => emailAddress('alarmEmail', raw),
  monthlyBudgetUsd: parseBudget,
  predictReservedConcurrency: (raw) => reservedConcurrency('predictReservedConcurrency', raw),
  finalizerReservedConcurrency: (raw) => reservedConcurrency('finalizerReservedConcurrency', raw),
  jobConcurrency: (raw) => wholeNumber('jobConcurrency', raw, 1, 10_000),
  endpointMaxMemoryMb: parseDeployMemory,
  endpointMaxConcurrency: (raw) => wholeNumber('endpointMaxConcurrency', raw, 1, 200),
  endpointsPerModel: (raw) => wholeNumber('endpointsPerModel', raw, 1, 1000),
  endpointsPerUser: (raw) => wholeNumber('endpointsPerUser', raw, 1, 10000),
  endpointPickles: (raw) => booleanOption('endpointPickles', raw),
  doiPrefix: parseDoiPrefix,
  dataciteRepositoryId: parseRepositoryId,
  dataciteSecretName: parseSecretName,
  dataciteEndpoint: parseDataciteEndpoint,
  doiPublisher: parsePublisher,
};

/** SageMaker serverless memory sizes only: 1024 to 6144 MB in steps of 1024. */
function parseDeployMemory(raw: unknown): number {
  const value = wholeNumber('endpointMaxMemoryMb', raw, 1024, 6144);
  if (value % 1024 !== 0) throw new StackConfigError('endpointMaxMemoryMb', `${value} is not a SageMaker serverless memory size: use 1024, 2048, 3072, 4096, 5120 or 6144`);
  return value;
}

/**
 * The upload limit agrees with the unpacked limit: a gzip stream holds at least what it inflates
 * to, give or take a few bytes of framing, so a bundle over maxUnpackedBytes would be refused,
 * but only after its whole upload and check. Given, maxBundleBytes may not exceed it; not given,
 * it is clamped to it.
 */
function checkBundleLimits(config: StackConfig, given: (option: StackOption) => boolean): StackConfig {
  if (!given('maxBundleBytes')) return { ...config, maxBundleBytes: Math.min(DEFAULT_MAX_BUNDLE_BYTES, config.maxUnpackedBytes) };
  if (config.maxBundleBytes > config.maxUnpackedBytes) {
    throw new StackConfigError('maxBundleBytes', `${config.maxBundleBytes} bytes is more than maxUnpackedBytes (${config.maxUnpackedBytes} bytes): such a bundle would be refused only after its whole upload and check; lower maxBundleBytes or raise maxUnpackedBytes`);
  }
  return config;
}

/** Whether an option was given at all: an empty `-c option=` means "use the default". */
export const isGiven = (raw: unknown): boolean => raw !== undefined && raw !== '';

/** One option's value, checked as a deploy checks it. Throws StackConfigError naming the option. */
export function parseStackOption<K extends StackOption>(option: K, raw: unknown): StackConfig[K] {
  return PARSERS[option](raw);
}

function parseOption<K extends StackOption>(option: K, lookup: OptionLookup): StackConfig[K] {
  const raw = lookup(option);
  return isGiven(raw) ? parseStackOption(option, raw) : DEFAULT_STACK_CONFIG[option];
}

/** Builds the stack configuration from an option lookup, filling in defaults and rejecting bad values. */
export function readStackConfig(lookup: OptionLookup): StackConfig {
  const config = Object.fromEntries(STACK_OPTIONS.map((option) => [option, parseOption(option, lookup)])) as unknown as StackConfig;
  const given = (option: StackOption): boolean => isGiven(lookup(option));
  checkIdentityOptions(config, given);
  checkSesOptions(config, given);
  checkNotificationOptions(config, given);
  checkBackendRules(config);
  checkPublishingOptions(config, given);
  return checkBundleLimits({ ...config, alarmTopic: config.alarmTopic || config.alarmEmail !== undefined }, given);
}
