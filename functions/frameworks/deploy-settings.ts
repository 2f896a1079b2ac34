import { integerFromEnv } from '../platform/env-values';
import { MODEL_CODE_ENV, modelCodeSetting } from './model-code';
import { DEPLOYABLE_FRAMEWORKS, type DeployableFramework } from './serving-path';

/** SageMaker serverless endpoints take these memory sizes only (ServerlessConfig.MemorySizeInMB). */
export const SERVERLESS_MEMORY_SIZES_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;
/** SageMaker's bound on ServerlessConfig.MaxConcurrency. */
export const SERVERLESS_MAX_CONCURRENCY = 200;

export const DEPLOY_ENV = {
  roleArn: 'MLHUB_DEPLOY_ROLE_ARN',
  scripts: 'MLHUB_DEPLOY_SCRIPTS',
  prefix: 'MLHUB_DEPLOY_PREFIX',
  maxMemoryMb: 'MLHUB_DEPLOY_MAX_MEMORY_MB',
  maxConcurrency: 'MLHUB_DEPLOY_MAX_CONCURRENCY',
  /** The stack's endpointPickles, under the opt-in's earlier name (model-code.ts reads MLHUB_ALLOW_MODEL_CODE first). */
  allowPickles: MODEL_CODE_ENV.legacyPickles,
  maxPerModel: 'MLHUB_DEPLOY_MAX_PER_MODEL',
  maxPerOwner: 'MLHUB_DEPLOY_MAX_PER_USER',
} as const;

/** The name prefix of every SageMaker resource MLHub creates; the stack grants SageMaker actions on it alone. */
export const DEFAULT_DEPLOY_PREFIX = 'mlhub-deploy-';
/**
 * Whether a SageMaker endpoint name is one MLHub's deploys make (this deployment's prefix, or the
 * default one), compared without case: such an endpoint serves one version and is reached through
 * that version's deployment alone, never through a model's meta.backend, whatever the endpoint
 * allow-list says (its owner may have revoked the caller's access, or made the model private).
 */
export function isDeployEndpoint(endpoint: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const name = endpoint.toLowerCase();
  return [DEFAULT_DEPLOY_PREFIX, env[DEPLOY_ENV.prefix]?.trim() ?? ''].some((prefix) => prefix !== '' && name.startsWith(prefix.toLowerCase()));
}

export const DEFAULT_MEMORY_MB = 3072;
export const DEFAULT_MAX_CONCURRENCY = 2;
/**
 * Deployed versions per model: two, so a new version can be deployed and reach in_service while
 * the one before still serves (predict keeps to the latest in service), then the old one undeployed.
 */
export const DEFAULT_MAX_PER_MODEL = 2;
/**
 * Deployed versions per user (over all their models): each is a serverless endpoint drawing on the
 * account's SageMaker quotas (endpoints, and total concurrency), which all users share.
 */
export const DEFAULT_MAX_PER_OWNER = 5;

export interface DeploySettings {
  /** The one execution role SageMaker runs every MLHub endpoint with; undefined: deploying is off. */
  readonly roleArn?: string;
  /** Per framework, the s3:// URI of MLHub's scripts archive (inference.py and mlhub_serving), SAGEMAKER_SUBMIT_DIRECTORY. */
  readonly scripts: Readonly<Partial<Record<DeployableFramework, string>>>;
  readonly prefix: string;
  readonly region: string;
  /** Largest MemorySizeInMB a request may ask for (the stack's limit). */
  readonly maxMemoryMb: number;
  /** Largest MaxConcurrency a request may ask for (the stack's limit). */
  readonly maxConcurrency: number;
  /** Most endpoints (in any state but deleting) one model's versions may hold. */
  readonly maxPerModel: number;
  /** Most endpoints (in any state but deleting) the versions of one user's models may hold. */
  readonly maxPerOwner: number;
  /** Whether endpoints may run model code (pickles; locally TorchScript and TensorFlow too): the operator's call, passed to the scripts (model-code.ts). */
  readonly allowPickles: boolean;
  /** Whether deployed models run as local processes with MLHub's own rights (`npm start`), not isolated containers. */
  readonly localWorkers: boolean;
}

/** MLHUB_DEPLOY_SCRIPTS: `{"sklearn": "s3://bucket/key.tar.gz", …}`; unknown frameworks and non-s3 URIs are refused at cold start. */
function scriptsFrom(raw: string | undefined): Partial<Record<DeployableFramework, string>> {
  if (!raw?.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`Environment variable ${DEPLOY_ENV.scripts} is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`Environment variable ${DEPLOY_ENV.scripts} must be a JSON object of framework to s3:// URI`);
  const scripts: Partial<Record<DeployableFramework, string>> = {};
  for (const [framework, uri] of Object.entries(parsed)) {
    if (!(DEPLOYABLE_FRAMEWORKS as readonly string[]).includes(framework)) throw new Error(`Environment variable ${DEPLOY_ENV.scripts}: '${framework}' is not one of ${DEPLOYABLE_FRAMEWORKS.join(', ')}`);
    if (typeof uri !== 'string' || !uri.startsWith('s3://')) throw new Error(`Environment variable ${DEPLOY_ENV.scripts}: ${framework} must be an s3:// URI`);
    scripts[framework as DeployableFramework] = uri;
  }
  return scripts;
}

const flag = (raw: string | undefined): boolean => ['1', 'true', 'yes', 'on'].includes((raw ?? '').trim().toLowerCase());

export function loadDeploySettings(env: NodeJS.ProcessEnv = process.env): DeploySettings {
  const roleArn = env[DEPLOY_ENV.roleArn]?.trim();
  return {
    ...(roleArn ? { roleArn } : {}),
    scripts: scriptsFrom(env[DEPLOY_ENV.scripts]),
    prefix: env[DEPLOY_ENV.prefix]?.trim() || DEFAULT_DEPLOY_PREFIX,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxMemoryMb: integerFromEnv(env, DEPLOY_ENV.maxMemoryMb, 6144, { min: 1024, max: 6144 }),
    maxConcurrency: integerFromEnv(env, DEPLOY_ENV.maxConcurrency, 10, { min: 1, max: SERVERLESS_MAX_CONCURRENCY }),
    allowPickles: flag(modelCodeSetting(env)),
    localWorkers: flag(env[MODEL_CODE_ENV.localWorkers]),
    maxPerModel: integerFromEnv(env, DEPLOY_ENV.maxPerModel, DEFAULT_MAX_PER_MODEL, { min: 1, max: 1000 }),
    maxPerOwner: integerFromEnv(env, DEPLOY_ENV.maxPerOwner, DEFAULT_MAX_PER_OWNER, { min: 1, max: 10000 }),
  };
}
