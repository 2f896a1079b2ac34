import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BackendSpecError, parseBackendSpec, type BackendSpec } from '../../functions/inference/backend-spec';
import { DEFAULT_BUNDLE_LIMITS } from '../../functions/bundles/bundle-limits';
import { DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_PRESIGN_SECONDS } from '../../functions/platform/function-config';
import { MODEL_TYPES, type ModelType } from '../../functions/registry/model-type';
import { parseRateLimitPolicy, RateLimitPolicyError, type RateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';

/**
 * What the stack knows about one model type's backends. Given in `modelBackends` as the type's
 * default backend, written as a model's `meta.backend` is (functions/inference/backend-spec.ts),
 * with the SageMaker endpoints the predict functions may invoke beside it:
 *   {"kind": "tfserving", "url": "https://tfs.example.org", "model": "{model}"}
 *   {"kind": "sagemaker", "endpoint": "torch-{model}", "sagemakerEndpointArns": ["arn:aws:sagemaker:…:endpoint/torch-*"]}
 *   {"sagemakerEndpointArns": ["arn:aws:sagemaker:…:endpoint/keras-prod"]}   (no default: models name their endpoint)
 *   "onnxruntime"
 */
export interface ModelBackend {
  /** The type's default backend, exactly as the engine reads it from MLHUB_BACKEND_<TYPE>: a kind, or a spec object. */
  readonly defaultBackend?: string | Readonly<Record<string, unknown>>;
  /** SageMaker endpoint ARNs (a `*` allowed in the name) the predict functions may invoke: `sagemaker:InvokeEndpoint` is granted on exactly these. */
  readonly sagemakerEndpointArns: readonly string[];
}

export type ModelBackends = Readonly<Partial<Record<ModelType, ModelBackend>>>;

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
  readonly logRetentionDays: RetentionDays;
  /** Stage-wide API Gateway throttling: steady requests per second, and the burst above it. */
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /**
   * Requests each caller may make per window, by class (read, write, predict, upload), kept in
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
   * Reserved concurrent executions of each function that predicts (Lambda's
   * ReservedConcurrentExecutions): a ceiling on what predictions may cost and a floor the rest of
   * the account cannot take. 0 leaves them unreserved.
   */
  readonly predictReservedConcurrency: number;
  /** Reserved concurrent executions of the upload finalizer; 0 leaves it unreserved. */
  readonly finalizerReservedConcurrency: number;
}

export type OidcTokenUse = 'id' | 'access' | 'any';
export type ThreatProtection = 'off' | 'audit' | 'enforced';

/**
 * Per signed-in user (or address, for anonymous callers): room for a script listing and reading
 * at 10 requests a second, or predicting at 2, while one caller cannot take the stage's 50.
 */
export const DEFAULT_RATE_LIMITS = 'read=600/60s,write=60/60s,predict=120/60s,upload=120/60s';

export const DEFAULT_STACK_CONFIG: StackConfig = {
  stage: 'dev',
  removalPolicy: 'retain',
  corsOrigins: [],
  modelBackends: {},
  backendUrlAllowlist: [],
  logRetentionDays: RetentionDays.THREE_MONTHS,
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
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
  predictReservedConcurrency: 10,
  finalizerReservedConcurrency: 5,
};

export type StackOption = keyof StackConfig;

export const STACK_OPTIONS = Object.keys(DEFAULT_STACK_CONFIG) as StackOption[];

/** The environment variable that sets an option when no `-c option=value` is given: `MLHUB_DEPLOY_<OPTION>`. */
export function optionEnvName(option: StackOption): string {
  return `MLHUB_DEPLOY_${option.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

/** Reads a raw option value: CDK context (`-c key=value` or cdk.json) first, then the environment. */
export type OptionLookup = (option: StackOption) => unknown;

export class StackConfigError extends Error {
  constructor(option: StackOption, problem: string) {
    super(`Invalid stack option '${option}' (context '${option}' or env ${optionEnvName(option)}): ${problem}`);
    this.name = 'StackConfigError';
  }
}

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const SAGEMAKER_ENDPOINT_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:endpoint\/[A-Za-z0-9*-]+$/;
const RETENTION_DAYS = new Set(Object.values(RetentionDays).filter((value): value is RetentionDays => typeof value === 'number'));

/** Context values given with `-c` arrive as strings; values from cdk.json keep their JSON type. */
function fromJsonText(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const text = raw.trim();
  if (!text.startsWith('{') && !text.startsWith('[')) return raw;
  try {
    return JSON.parse(text);
  } catch {
    return raw;
  }
}

function stringOption(option: StackOption, raw: unknown): string {
  if (typeof raw !== 'string') throw new StackConfigError(option, `expected a string, got ${JSON.stringify(raw)}`);
  return raw.trim();
}

function wholeNumber(option: StackOption, raw: unknown, min: number, max: number): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StackConfigError(option, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

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
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StackConfigError('corsOrigins', `'${text}' is not an origin such as https://app.example.org`);
  }
  // An origin is scheme, host and port only; anything else would never match a browser's Origin header.
  if (url.origin !== text || (url.protocol !== 'https:' && url.hostname !== 'localhost')) {
    throw new StackConfigError('corsOrigins', `'${text}' must be an https origin (scheme and host, no path), or http://localhost`);
  }
  return text;
}

function parseCorsOrigins(raw: unknown): readonly string[] {
  const list = fromJsonText(raw);
  const items = typeof list === 'string' ? list.split(',').map((item) => item.trim()).filter((item) => item !== '') : list;
  if (!Array.isArray(items)) throw new StackConfigError('corsOrigins', 'expected a comma-separated list or a JSON array of origins');
  return [...new Set(items.map(parseOrigin))];
}

/** The endpoint name of a SageMaker endpoint ARN pattern. */
export const endpointNameOf = (arn: string): string => arn.slice(arn.indexOf(':endpoint/') + ':endpoint/'.length);

/** IAM's wildcard matching, for the names in endpoint ARNs (which hold no `?`). */
const globMatches = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

function parseEndpointArns(type: string, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new StackConfigError('modelBackends', `${type}: "sagemakerEndpointArns" must be a non-empty array`);
  for (const arn of raw) {
    if (typeof arn !== 'string' || !SAGEMAKER_ENDPOINT_ARN.test(arn)) {
      throw new StackConfigError('modelBackends', `${type}: '${String(arn)}' is not a SageMaker endpoint ARN (arn:aws:sagemaker:<region>:<account>:endpoint/<name>, '*' allowed in the name)`);
    }
    // SageMaker writes endpoint names in lowercase in its ARNs, and IAM compares them as written.
    if (endpointNameOf(arn) !== endpointNameOf(arn).toLowerCase()) {
      throw new StackConfigError('modelBackends', `${type}: '${arn}' would never match: SageMaker endpoint ARNs carry the name in lowercase`);
    }
  }
  return [...new Set(raw as string[])];
}

/**
 * Whether every endpoint a default SageMaker backend can name is among the granted ARNs. `{model}`
 * stands for any model name, so it must fall under a `*` of the same ARN.
 */
function endpointGranted(endpoint: string, arns: readonly string[]): boolean {
  const name = endpoint.toLowerCase().replaceAll('{model}', '*');
  return arns.some((arn) => globMatches(endpointNameOf(arn), name));
}

/** Checked as the engine checks MLHUB_BACKEND_<TYPE> at cold start, so a bad value stops the deploy instead. */
function checkedSpec(type: string, raw: unknown): BackendSpec {
  try {
    return parseBackendSpec(raw, 'model');
  } catch (error) {
    if (error instanceof BackendSpecError) throw new StackConfigError('modelBackends', `${type}: the backend ${error.message}`);
    throw error;
  }
}

function parseDefaultBackend(type: string, raw: string | Record<string, unknown>, arns: readonly string[]): ModelBackend['defaultBackend'] {
  if (typeof raw === 'object' && raw.kind === undefined && raw.url !== undefined) {
    throw new StackConfigError('modelBackends', `${type}: say which protocol the server at "url" speaks with "kind": tfserving, torchserve, oip or tfaas`);
  }
  if (checkedSpec(type, raw).kind === 'sagemaker') {
    const endpoint = typeof raw === 'object' ? String(raw.endpoint) : '';
    if (arns.length === 0 || !endpointGranted(endpoint, arns)) {
      throw new StackConfigError('modelBackends', `${type}: the default SageMaker endpoint '${endpoint}' must fall under one of its "sagemakerEndpointArns" (with '*' where the name holds {model}), or the functions could not invoke it`);
    }
  }
  return raw;
}

function parseBackend(type: string, raw: unknown): ModelBackend {
  if (typeof raw === 'string') return { defaultBackend: parseDefaultBackend(type, raw.trim(), []), sagemakerEndpointArns: [] };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StackConfigError('modelBackends', `${type}: expected a backend such as {"kind": "tfserving", "url": "https://…"}, {"sagemakerEndpointArns": […]}, or a kind such as "onnxruntime"`);
  }
  const { sagemakerEndpointArns: rawArns, ...backend } = raw as Record<string, unknown>;
  const arns = rawArns === undefined ? [] : parseEndpointArns(type, rawArns);
  if (Object.keys(backend).length === 0) {
    if (arns.length === 0) throw new StackConfigError('modelBackends', `${type}: give a default backend ("kind": …) or "sagemakerEndpointArns"`);
    return { sagemakerEndpointArns: arns };
  }
  return { defaultBackend: parseDefaultBackend(type, backend, arns), sagemakerEndpointArns: arns };
}

function parseModelBackends(raw: unknown): ModelBackends {
  const value = fromJsonText(raw);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new StackConfigError('modelBackends', 'expected a JSON object keyed by model type');
  }
  const backends: Partial<Record<ModelType, ModelBackend>> = {};
  for (const [type, entry] of Object.entries(value)) {
    if (!(MODEL_TYPES as readonly string[]).includes(type)) {
      throw new StackConfigError('modelBackends', `unknown model type '${type}'; use one of ${MODEL_TYPES.join(', ')}`);
    }
    backends[type as ModelType] = parseBackend(type, entry);
  }
  return backends;
}

/**
 * An allow-list entry as the engine reads it (functions/inference/backend-selection.ts): scheme,
 * host, an optional port or `:*`, an optional path prefix.
 */
const BACKEND_URL_ENTRY = /^https?:\/\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:(\d{1,5}|\*))?(\/[^?#\s,]*)?$/i;

function parseBackendUrlAllowlist(raw: unknown): readonly string[] {
  const list = fromJsonText(raw);
  const items = typeof list === 'string' ? list.split(',').map((item) => item.trim()).filter((item) => item !== '') : list;
  if (!Array.isArray(items)) throw new StackConfigError('backendUrlAllowlist', 'expected a comma-separated list or a JSON array of URLs');
  return [...new Set(items.map((item) => {
    const entry = stringOption('backendUrlAllowlist', item);
    if (!BACKEND_URL_ENTRY.test(entry)) {
      throw new StackConfigError('backendUrlAllowlist', `'${entry}' is not an origin such as https://tfs.example.org, optionally with a port (or :* for any) and a path prefix`);
    }
    return entry;
  }))];
}

const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** The bounds of maxBundleBytes: a bundle must be allowed past one multipart part, and S3 stores objects of at most 5 TiB. */
export const MAX_BUNDLE_BYTES_RANGE = { min: 1024 ** 2, max: 5 * 1024 ** 4 } as const;

/** Bytes, as a whole number or with a binary unit: `53687091200`, `50GiB`, `512 MiB`. */
function parseByteSize(option: StackOption, raw: unknown, range: { readonly min: number; readonly max: number }): number {
  const text = typeof raw === 'number' ? String(raw) : stringOption(option, raw);
  const match = /^(\d+)\s*([KMGT]iB|B)?$/i.exec(text);
  const bytes = match ? Number(match[1]) * (BYTE_UNITS[(match[2] ?? 'b').toLowerCase()] as number) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < range.min || bytes > range.max) {
    throw new StackConfigError(option, `expected a whole number of bytes from ${range.min} to ${range.max}, or a size in KiB, MiB, GiB or TiB such as 50GiB, got ${JSON.stringify(raw)}`);
  }
  return bytes;
}

/** A policy as MLHUB_RATE_LIMITS writes it (`read=600/60s,write=60/1m`), or `off`. */
function parseRateLimits(raw: unknown): RateLimitPolicy {
  try {
    return parseRateLimitPolicy(stringOption('rateLimits', raw));
  } catch (error) {
    if (error instanceof RateLimitPolicyError) throw new StackConfigError('rateLimits', error.message);
    throw error;
  }
}

function parseRetention(raw: unknown): RetentionDays {
  const days = wholeNumber('logRetentionDays', raw, 1, Number.MAX_SAFE_INTEGER);
  if (!RETENTION_DAYS.has(days)) {
    throw new StackConfigError('logRetentionDays', `CloudWatch Logs accepts only ${[...RETENTION_DAYS].join(', ')} days, got ${days}`);
  }
  return days;
}

function oneOf<T extends string>(option: StackOption, raw: unknown, allowed: readonly T[]): T {
  const value = stringOption(option, raw).toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new StackConfigError(option, `expected ${allowed.map((item) => `'${item}'`).join(', ')}, got '${value}'`);
  }
  return value as T;
}

function booleanOption(option: StackOption, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  return oneOf(option, raw, ['true', 'false']) === 'true';
}

/**
 * An https URL compared exactly, as a token's `iss` is: kept as given (no trailing slash added),
 * with no query, fragment or credentials.
 */
function httpsUrl(option: StackOption, raw: unknown, what: string): string {
  const text = stringOption(option, raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StackConfigError(option, `'${text}' is not ${what}`);
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new StackConfigError(option, `'${text}' must be an https URL with no query, fragment or credentials (${what})`);
  }
  return text;
}

function parseAudience(raw: unknown): string {
  const audience = stringOption('oidcAudience', raw);
  // One client id; a list would silently accept tokens issued to other applications.
  if (!/^[^\s,]{1,256}$/.test(audience)) throw new StackConfigError('oidcAudience', `'${audience}' must be one client id: 1-256 characters, no spaces or commas`);
  return audience;
}

function parseUserClaim(raw: unknown): string {
  const claim = stringOption('oidcUserClaim', raw);
  if (!/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/.test(claim)) throw new StackConfigError('oidcUserClaim', `'${claim}' is not a claim name such as sub or cognito:username`);
  return claim;
}

const PARSERS: { readonly [option in StackOption]: (raw: unknown) => StackConfig[option] } = {
  stage: parseStage,
  removalPolicy: parseRemovalPolicy,
  corsOrigins: parseCorsOrigins,
  modelBackends: parseModelBackends,
  backendUrlAllowlist: parseBackendUrlAllowlist,
  logRetentionDays: parseRetention,
  // API Gateway's account-level ceilings are 10,000 rps and a 5,000 burst.
  throttleRateLimit: (raw) => wholeNumber('throttleRateLimit', raw, 1, 10_000),
  throttleBurstLimit: (raw) => wholeNumber('throttleBurstLimit', raw, 1, 5_000),
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
  predictReservedConcurrency: (raw) => reservedConcurrency('predictReservedConcurrency', raw),
  finalizerReservedConcurrency: (raw) => reservedConcurrency('finalizerReservedConcurrency', raw),
};

/**
 * Reserved concurrency: a whole number, or 0 or `none` for unreserved. Lambda's default account
 * quota is 1,000 concurrent executions (raisable), of which 100 must stay unreserved.
 */
function reservedConcurrency(option: StackOption, raw: unknown): number {
  if (typeof raw === 'string' && raw.trim().toLowerCase() === 'none') return 0;
  return wholeNumber(option, raw, 0, 100_000);
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

/** Options that describe an external issuer, and mean nothing without one. */
const EXTERNAL_ISSUER_OPTIONS = ['oidcAudience', 'oidcJwksUri', 'oidcTokenUse', 'oidcUserClaim'] as const satisfies readonly StackOption[];

/** Options that shape the stack's own user pool, which an external issuer replaces. */
const USER_POOL_OPTIONS = ['userPoolSelfSignUp', 'userPoolThreatProtection'] as const satisfies readonly StackOption[];

const isGiven = (raw: unknown): boolean => raw !== undefined && raw !== '';

/** The identity options agree with each other: an external issuer, or the stack's own user pool, never half of each. */
function checkIdentityOptions(config: StackConfig, given: (option: StackOption) => boolean): void {
  if (config.oidcIssuer === undefined) {
    for (const option of EXTERNAL_ISSUER_OPTIONS) {
      if (given(option)) throw new StackConfigError(option, "applies only to an external issuer: set oidcIssuer too, or leave it out to use the stack's own Cognito user pool");
    }
    return;
  }
  if (config.oidcAudience === undefined) {
    throw new StackConfigError('oidcAudience', `is required with oidcIssuer '${config.oidcIssuer}': give the client id its tokens are issued to (their aud claim), or MLHub would accept tokens issued to any application`);
  }
  for (const option of USER_POOL_OPTIONS) {
    if (given(option)) throw new StackConfigError(option, `configures the stack's own Cognito user pool, which is not created when oidcIssuer is set ('${config.oidcIssuer}')`);
  }
}

function parseOption<K extends StackOption>(option: K, lookup: OptionLookup): StackConfig[K] {
  const raw = lookup(option);
  return raw === undefined || raw === '' ? DEFAULT_STACK_CONFIG[option] : PARSERS[option](raw);
}

/** Builds the stack configuration from an option lookup, filling in defaults and rejecting bad values. */
export function readStackConfig(lookup: OptionLookup): StackConfig {
  const config = Object.fromEntries(STACK_OPTIONS.map((option) => [option, parseOption(option, lookup)])) as unknown as StackConfig;
  checkIdentityOptions(config, (option) => isGiven(lookup(option)));
  return checkBundleLimits(config, (option) => isGiven(lookup(option)));
}

/** Who vouches for callers: the stack's own Cognito user pool, or an external OIDC issuer. */
export type IdentitySource =
  | { readonly kind: 'userPool'; readonly selfSignUp: boolean; readonly threatProtection: ThreatProtection }
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
    return { kind: 'userPool', selfSignUp: config.userPoolSelfSignUp, threatProtection: config.userPoolThreatProtection };
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

/** Every SageMaker endpoint ARN pattern configured for any model type. */
export function sagemakerEndpointArns(backends: ModelBackends): readonly string[] {
  return [...new Set(Object.values(backends).flatMap((backend) => backend.sagemakerEndpointArns))];
}
