import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DEPLOY_ENV } from '../../functions/frameworks/deploy-settings';
import { MODEL_CODE_ENV, modelCodeSetting } from '../../functions/frameworks/model-code';
import { buildScriptsArchive, DEFAULT_SCRIPTS_DIR, hasScripts } from '../../functions/frameworks/scripts-archive';
import { DEPLOYABLE_FRAMEWORKS, type DeployableFramework } from '../../functions/frameworks/serving-path';
import { integerFromEnv } from '../../functions/platform/env-values';
import { LocalSageMaker } from './control-plane';
import { startSageMakerServer, type RunningSageMakerServer } from './sagemaker-server';

/** The local bucket the scripts archives go to, as the stack's assets bucket holds them in the cloud. */
export const LOCAL_ASSETS_BUCKET = 'mlhub-deploy-assets';
/** The account the local SageMaker names in its ARNs. */
const LOCAL_ACCOUNT = '000000000000';

export const WORKER_ENV = {
  python: 'MLHUB_WORKER_PYTHON',
  scriptsDir: 'MLHUB_FRAMEWORK_SCRIPTS_DIR',
  startSeconds: 'MLHUB_WORKER_START_SECONDS',
  idleSeconds: 'MLHUB_WORKER_IDLE_SECONDS',
} as const;

export interface LocalDeploy {
  readonly server: RunningSageMakerServer;
  /** The environment the handlers get: SageMaker's endpoints, the execution role, the scripts archives, the pickle setting. */
  readonly environment: Record<string, string>;
  /** Frameworks without scripts in the scripts folder: deploying them answers 503 deploy_not_configured. */
  readonly missing: readonly DeployableFramework[];
}

/**
 * Whether local workers may run model code (pickles, TorchScript, TensorFlow graphs; model-code.ts):
 * MLHUB_ALLOW_MODEL_CODE (or its earlier name MLHUB_ALLOW_PICKLES) when set (1/true/yes/on), else
 * only in single-user dev mode: a local worker runs with MLHub's own rights, and with
 * MLHUB_AUTH=required other users may upload what it runs.
 */
export function localPickleSetting(env: NodeJS.ProcessEnv, devMode: boolean): boolean {
  const raw = modelCodeSetting(env)?.toLowerCase();
  if (raw === undefined) return devMode;
  return ['1', 'true', 'yes', 'on'].includes(raw);
}

/**
 * SageMaker for `npm start`: uploads each framework's scripts archive to the local S3, starts the
 * local SageMaker (local/sagemaker/), and says how the handlers reach it. Model code runs in
 * single-user dev mode unless MLHUB_ALLOW_MODEL_CODE=0; with MLHUB_AUTH=required, only with
 * MLHUB_ALLOW_MODEL_CODE=1.
 */
export async function startLocalDeploy(options: { dataDir: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string }; devMode: boolean; env: NodeJS.ProcessEnv; log: (line: string) => void }): Promise<LocalDeploy> {
  const { env } = options;
  const scriptsDir = env[WORKER_ENV.scriptsDir] || DEFAULT_SCRIPTS_DIR;
  const s3 = new S3Client({ forcePathStyle: true });
  const scripts: Partial<Record<DeployableFramework, string>> = {};
  const missing: DeployableFramework[] = [];
  for (const framework of DEPLOYABLE_FRAMEWORKS) {
    if (!hasScripts(framework, scriptsDir)) {
      missing.push(framework);
      continue;
    }
    const archive = buildScriptsArchive(framework, scriptsDir);
    const key = `frameworks/${framework}-${archive.sha256.slice(0, 16)}.tar.gz`;
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_ASSETS_BUCKET, Key: key, Body: archive.bytes, ContentType: 'application/gzip' }));
    scripts[framework] = `s3://${LOCAL_ASSETS_BUCKET}/${key}`;
  }
  // The operator's setting now, given to every worker as it starts: a model deployed under another keeps none of it.
  const allowPickles = localPickleSetting(env, options.devMode) ? '1' : '0';
  const sagemaker = new LocalSageMaker({
    directory: join(options.dataDir, 'sagemaker'),
    region: options.region,
    account: LOCAL_ACCOUNT,
    openObject: async (bucket, key) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable,
    python: env[WORKER_ENV.python] || '/usr/bin/python3',
    serveScript: join(scriptsDir, 'serve.py'),
    startTimeoutMs: integerFromEnv(env, WORKER_ENV.startSeconds, 120) * 1000,
    idleMs: integerFromEnv(env, WORKER_ENV.idleSeconds, 900) * 1000,
    log: options.log,
    workerEnvironment: () => ({ [MODEL_CODE_ENV.allowed]: allowPickles, [DEPLOY_ENV.allowPickles]: allowPickles }),
  });
  await sagemaker.open();
  const server = await startSageMakerServer({ host: '127.0.0.1', credentials: options.credentials, sagemaker, log: options.log });
  return {
    server,
    missing,
    environment: {
      // A SageMaker the user points MLHub at (a test's stand-in, a real region) is kept: it then serves models' own endpoints, and deployed ones must live there too.
      ...(env.AWS_ENDPOINT_URL_SAGEMAKER ? {} : { AWS_ENDPOINT_URL_SAGEMAKER: server.endpoint }),
      ...(env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME ? {} : { AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: server.endpoint }),
      [DEPLOY_ENV.roleArn]: `arn:aws:iam::${LOCAL_ACCOUNT}:role/mlhub-local-sagemaker-execution`,
      [DEPLOY_ENV.scripts]: JSON.stringify(scripts),
      [MODEL_CODE_ENV.allowed]: allowPickles,
      [DEPLOY_ENV.allowPickles]: allowPickles,
      [MODEL_CODE_ENV.localWorkers]: '1',
    },
  };
}
