import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BackendRuleError, compileBackendRules, URL_ENTRY, type BackendAssignment } from '../../functions/inference/backend-access';
import { BackendSpecError, modelAddress, parseBackendSpec, type BackendSpec } from '../../functions/inference/backend-spec';
import { DEFAULT_BUNDLE_LIMITS } from '../../functions/bundles/bundle-limits';
import { DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_PRESIGN_SECONDS } from '../../functions/platform/function-config';
import { MODEL_TYPES, type ModelType } from '../../functions/registry/model-type';
import { originProblem } from '../../functions/http/cors';
import { RATE_CLASSES, ROUTE_RATE_CLASSES, type RateClass } from '../../functions/rate-limits/rate-classes';
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

/** API Gateway throttling: steady requests per second, and the burst above it (CDK's ThrottleSettings). */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * Throttles for the routes of a class of requests (functions/rate-limits/rate-classes.ts), set as
 * the stage's route settings; a class left out has the stage-wide throttle.
 */
export type RouteThrottles = Readonly<Partial<Record<RateClass, Throttle>>>;
/** Per model name, its owner's user id and the SageMaker endpoint names and backend URL prefixes the operator gave that model alone. */
export type BackendAssignments = Readonly<Record<string, BackendAssignment>>;

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
}

export type OidcTokenUse = 'id' | 'access' | 'any';
export type ThreatProtection = 'off' | 'audit' | 'enforced';

/**
 * Per signed-in user (or address, for anonymous callers): room for a script listing and reading
 * at 10 requests a second, or predicting at 2, while one caller cannot take the stage's 50.
 * Anonymous predictions, each up to 2 GB and 29 s of Lambda, get a sixth of that per address.
 */
export const DEFAULT_RATE_LIMITS = 'read=600/60s,write=60/60s,predict=120/60s,upload=120/60s,predict-anonymous=20/60s';

/**
 * Per route, for all callers: a predict route at 10 a second keeps at most about 290 of its
 * 29-second invocations running, uploads and writes at 10 and 25 stay under the stage's 50.
 */
export const DEFAULT_ROUTE_THROTTLES: RouteThrottles = {
  write: { rateLimit: 25, burstLimit: 50 },
  predict: { rateLimit: 10, burstLimit: 20 },
  upload: { rateLimit: 10, burstLimit: 20 },
};

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

function parseBackendUrlAllowlist(raw: unknown): readonly string[] {
  const list = fromJsonText(raw);
  const items = typeof list === 'string' ? list.split(',').map((item) => item.trim()).filter((item) => item !== '') : list;
  if (!Array.isArray(items)) throw new StackConfigError('backendUrlAllowlist', 'expected a comma-separated list or a JSON array of URLs');
  return [...new Set(items.map((item) => {
    const entry = stringOption('backendUrlAllowlist', item);
    // The entry's shape as the engine reads it (functions/inference/backend-access.ts); how entries sit together is checked in readStackConfig.
    if (!URL_ENTRY.test(entry)) {
      throw new StackConfigError('backendUrlAllowlist', `'${entry}' is not an origin such as https://tfs.example.org, optionally with a port (or :* for any) and a path prefix, or a per-model pattern such as https://tfs.example.org/v1/models/{model}`);
    }
    return entry;
  }))];
}

/** API Gateway's account-level ceilings: 10,000 requests a second and a burst of 5,000. */
const THROTTLE_CEILINGS = { rateLimit: 10_000, burstLimit: 5_000 } as const;

function parseThrottle(rateClass: string, raw: unknown): Throttle {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StackConfigError('routeThrottles', `${rateClass}: expected {"rateLimit": <requests a second>, "burstLimit": <requests>}, got ${JSON.stringify(raw)}`);
  }
  const { rateLimit, burstLimit, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new StackConfigError('routeThrottles', `${rateClass}: unknown field(s) ${unknown.join(', ')}; give rateLimit and burstLimit`);
  const within = (name: keyof Throttle, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > THROTTLE_CEILINGS[name]) {
      throw new StackConfigError('routeThrottles', `${rateClass}: ${name} must be a whole number from 1 to ${THROTTLE_CEILINGS[name]}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  return { rateLimit: within('rateLimit', rateLimit), burstLimit: within('burstLimit', burstLimit) };
}

/** The classes routes belong to; `predict-anonymous` is a caller's, not a route's, so no throttle can name it. */
const ROUTE_CLASSES: readonly RateClass[] = RATE_CLASSES.filter((rateClass) => Object.values(ROUTE_RATE_CLASSES).includes(rateClass));

/** `{"predict": {"rateLimit": 10, "burstLimit": 20}, …}` keyed by class of requests, or `off` for none. */
function parseRouteThrottles(raw: unknown): RouteThrottles {
  if (typeof raw === 'string' && raw.trim().toLowerCase() === 'off') return {};
  const value = fromJsonText(raw);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new StackConfigError('routeThrottles', `expected a JSON object keyed by class (${ROUTE_CLASSES.join(', ')}), such as {"predict": {"rateLimit": 10, "burstLimit": 20}}, or off`);
  }
  const throttles: Partial<Record<RateClass, Throttle>> = {};
  for (const [rateClass, entry] of Object.entries(value)) {
    if (!(ROUTE_CLASSES as readonly string[]).includes(rateClass)) {
      throw new StackConfigError('routeThrottles', `unknown class '${rateClass}'; use ${ROUTE_CLASSES.join(', ')}`);
    }
    throttles[rateClass as RateClass] = parseThrottle(rateClass, entry);
  }
  return throttles;
}

function parseBackendAssignments(raw: unknown): BackendAssignments {
  const value = fromJsonText(raw);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new StackConfigError('backendAssignments', 'expected a JSON object such as {"mnist": {"owner": "<user id>", "backends": ["mnist-prod", "https://tfs.example.org/v1/models/mnist"]}}');
  }
  try {
    // Each entry's own shape; how the entries sit with the other options is checked in readStackConfig.
    compileBackendRules({ urls: [], assignments: value as BackendAssignments }, { urls: 'backendUrlAllowlist', endpoints: 'modelBackends', assignments: 'backendAssignments' });
  } catch (error) {
    if (error instanceof BackendRuleError) throw new StackConfigError('backendAssignments', error.message.replace(/^backendAssignments: /, ''));
    throw error;
  }
  return value as BackendAssignments;
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

/**
 * An e-mail address as SES and SNS take one: a local part of printable ASCII without spaces or
 * angle brackets, and a domain of at least two labels (RFC 5321 §4.1.2, without quoted locals).
 */
const EMAIL_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const DOMAIN_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
/** SES configuration set names: letters, digits, `_` and `-`, at most 64 characters. */
const SES_CONFIGURATION_SET = /^[A-Za-z0-9_-]{1,64}$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function emailAddress(option: StackOption, raw: unknown): string {
  const address = stringOption(option, raw);
  if (address.length > 254 || !EMAIL_ADDRESS.test(address)) throw new StackConfigError(option, `'${address}' is not one e-mail address such as ops@example.org`);
  return address;
}

function matching(option: StackOption, raw: unknown, pattern: RegExp, what: string): string {
  const value = stringOption(option, raw);
  if (!pattern.test(value)) throw new StackConfigError(option, `'${value}' is not ${what}`);
  return value;
}

function parseFromName(raw: unknown): string {
  const name = stringOption('userPoolSesFromName', raw);
  // One header line: a line break would let the name add headers of its own.
  if (name === '' || name.length > 64 || /[\r\n<>]/.test(name)) throw new StackConfigError('userPoolSesFromName', `${JSON.stringify(name)} must be 1-64 characters on one line, without < or >`);
  return name;
}

/** US dollars with at most two decimals, as AWS Budgets bills them; at most a million a month. */
function parseBudget(raw: unknown): number {
  const text = typeof raw === 'number' ? String(raw) : stringOption('monthlyBudgetUsd', raw);
  const amount = /^\d{1,7}(\.\d{1,2})?$/.test(text) ? Number(text) : Number.NaN;
  if (!(amount >= 1 && amount <= 1_000_000)) throw new StackConfigError('monthlyBudgetUsd', `expected an amount in USD from 1 to 1000000 with at most two decimals (250, 99.50), got ${JSON.stringify(raw)}`);
  return amount;
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
};

/** The user pool's SES options agree: details only with a from-address, and that address at the verified domain. */
function checkSesOptions(config: StackConfig, given: (option: StackOption) => boolean): void {
  if (config.userPoolSesFromEmail === undefined) {
    for (const option of SES_DETAIL_OPTIONS) {
      if (given(option)) throw new StackConfigError(option, 'applies only to mail sent through SES: set userPoolSesFromEmail too');
    }
    return;
  }
  const domain = config.userPoolSesVerifiedDomain;
  if (domain !== undefined && config.userPoolSesFromEmail.split('@').pop()?.toLowerCase() !== domain) {
    throw new StackConfigError('userPoolSesVerifiedDomain', `'${domain}' is not the domain of userPoolSesFromEmail '${config.userPoolSesFromEmail}': SES sends only from addresses at a verified domain`);
  }
}

/** Notifications agree: an e-mail needs the topic, and a budget needs someone to tell. */
function checkNotificationOptions(config: StackConfig, given: (option: StackOption) => boolean): void {
  if (config.alarmEmail !== undefined && given('alarmTopic') && !config.alarmTopic) {
    throw new StackConfigError('alarmTopic', `is false, but alarmEmail '${config.alarmEmail}' is subscribed to the alarm topic: leave alarmTopic out, or alarmEmail`);
  }
  if (config.monthlyBudgetUsd !== undefined && config.alarmEmail === undefined && !config.alarmTopic) {
    throw new StackConfigError('monthlyBudgetUsd', 'notifies the alarm topic and e-mail: set alarmEmail (or alarmTopic=true), or the budget would tell no one');
  }
}

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
const USER_POOL_OPTIONS = [
  'userPoolSelfSignUp', 'userPoolThreatProtection',
  'userPoolSesFromEmail', 'userPoolSesFromName', 'userPoolSesVerifiedDomain', 'userPoolSesConfigurationSet', 'userPoolSesRegion',
] as const satisfies readonly StackOption[];

/** Options that shape how the user pool sends mail through SES, and mean nothing without its from-address. */
const SES_DETAIL_OPTIONS = ['userPoolSesFromName', 'userPoolSesVerifiedDomain', 'userPoolSesConfigurationSet', 'userPoolSesRegion'] as const satisfies readonly StackOption[];

/** Whether an option was given at all: an empty `-c option=` means "use the default". */
export const isGiven = (raw: unknown): boolean => raw !== undefined && raw !== '';

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

/** One option's value, checked as a deploy checks it. Throws StackConfigError naming the option. */
export function parseStackOption<K extends StackOption>(option: K, raw: unknown): StackConfig[K] {
  return PARSERS[option](raw);
}

/**
 * The SageMaker endpoints the predict functions' endpoint list gives each model by its name:
 * the default endpoints that hold `{model}` (lib/functions/inference-runtime.ts).
 */
export function perModelEndpointPatterns(backends: ModelBackends): readonly string[] {
  return [...new Set(Object.values(backends).flatMap((backend) => {
    const spec = backend.defaultBackend;
    const endpoint = typeof spec === 'object' && spec.kind !== undefined ? spec.endpoint : undefined;
    return typeof endpoint === 'string' && endpoint.includes('{model}') && checkedSpec('model', spec).kind === 'sagemaker' ? [endpoint] : [];
  }))];
}

/**
 * The model addresses the default backends give each model by its name, as per-model URL
 * patterns: a TF Serving, TorchServe or Open Inference Protocol default whose `model` is the
 * model's name (`{model}`, or left out) serves every model at `<url>/<protocol path>/<name>`
 * (`https://tfserving.example.org/v1/models/{model}`). Listed with backendUrlAllowlist, they let
 * a model name its own address there, and make a shared entry that would open another's refused.
 */
export function perModelUrlPatterns(backends: ModelBackends): readonly string[] {
  return [...new Set(Object.values(backends).flatMap((backend) => {
    const raw = backend.defaultBackend;
    if (typeof raw !== 'object' || (raw.model !== undefined && raw.model !== '{model}')) return [];
    // TFaaS takes its model in the body: its URL is no one model's address.
    const kind = checkedSpec('model', raw).kind;
    if (kind !== 'tfserving' && kind !== 'torchserve' && kind !== 'oip') return [];
    const address = modelAddress(parseBackendSpec(raw, '{model}'));
    return address === undefined ? [] : [address.replace(encodeURIComponent('{model}'), '{model}')];
  }))];
}

/**
 * MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST's entries (lib/functions/inference-runtime.ts): the exact
 * ARN names no assignment gives a model, then the `{model}` default endpoints.
 */
export function sharedAndPerModelEndpoints(backends: ModelBackends, assignments: BackendAssignments): readonly string[] {
  const assigned = new Set(Object.values(assignments).flatMap((assignment) => assignment.backends));
  const exact = sagemakerEndpointArns(backends).map(endpointNameOf).filter((name) => !name.includes('*') && !assigned.has(name));
  return [...new Set([...exact, ...perModelEndpointPatterns(backends)])];
}

/**
 * The backend options agree, as the predict functions will read them (functions/inference/
 * backend-access.ts): no shared URL or endpoint overlaps a `{model}` pattern, and no assignment
 * covers what a pattern reserves for another model; an assigned endpoint falls under an ARN.
 */
function checkBackendRules(config: StackConfig): void {
  const arns = sagemakerEndpointArns(config.modelBackends);
  const sources = { urls: 'backendUrlAllowlist', endpoints: 'modelBackends', assignments: 'backendAssignments' } as const;
  try {
    compileBackendRules({
      urls: [...config.backendUrlAllowlist, ...perModelUrlPatterns(config.modelBackends)],
      endpoints: sharedAndPerModelEndpoints(config.modelBackends, config.backendAssignments),
      assignments: config.backendAssignments,
    }, sources);
  } catch (error) {
    if (!(error instanceof BackendRuleError)) throw error;
    const option = (Object.values(sources) as StackOption[]).find((name) => error.message.startsWith(`${name}: `)) ?? 'backendAssignments';
    throw new StackConfigError(option, error.message.slice(option.length + 2));
  }
  for (const [model, { backends }] of Object.entries(config.backendAssignments)) {
    for (const endpoint of backends.filter((entry) => !/^https?:\/\//i.test(entry))) {
      if (!endpointGranted(endpoint, arns)) {
        throw new StackConfigError('backendAssignments', `model '${model}': the endpoint '${endpoint}' falls under no "sagemakerEndpointArns" of modelBackends, so the functions could not invoke it`);
      }
    }
  }
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
  return checkBundleLimits({ ...config, alarmTopic: config.alarmTopic || config.alarmEmail !== undefined }, given);
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

/** How the stack's user pool sends mail through SES (the userPoolSes* options); undefined: Cognito's own sender. */
export interface SesMail {
  readonly fromEmail: string;
  readonly fromName: string | undefined;
  readonly verifiedDomain: string | undefined;
  readonly configurationSet: string | undefined;
  readonly region: string | undefined;
}

function sesMail(config: StackConfig): SesMail | undefined {
  if (config.userPoolSesFromEmail === undefined) return undefined;
  return {
    fromEmail: config.userPoolSesFromEmail,
    fromName: config.userPoolSesFromName,
    verifiedDomain: config.userPoolSesVerifiedDomain,
    configurationSet: config.userPoolSesConfigurationSet,
    region: config.userPoolSesRegion,
  };
}

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

/** Every SageMaker endpoint ARN pattern configured for any model type. */
export function sagemakerEndpointArns(backends: ModelBackends): readonly string[] {
  return [...new Set(Object.values(backends).flatMap((backend) => backend.sagemakerEndpointArns))];
}
