import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadCorsOrigins } from '../functions/http/cors';
import { IDENTITY_ENV } from '../functions/identity/identity-config';
import { INFERENCE_ENV } from '../functions/inference/inference-config';
import { redactText } from '../functions/observability/log-redaction';
import { CONFIG_ENV } from '../functions/platform/function-config';
import { CATALOGUE_FUNCTIONS } from '../functions/catalogue/function-catalogue';
import { FALLBACK_HANDLER, ROUTES } from '../functions/routes/route-table';
import { localCognitoEnvironment } from './cognito-endpoint';
import { startDynamoServer } from './dynamodb-server';
import { startGateway, type LambdaHandler } from './gateway';
import { invocationScope } from './invocation-scope';
import { localFunctionName } from './lambda-context';
import { startLambdaServer } from './lambda-server';
import { localObservabilityEnvironment } from './observability-environment';
import { openLocalIssuer, type LocalIssuer } from './local-issuer';
import { DEMO_MODEL, seedDemoModel, type SeedOutcome } from './demo-model';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_TABLE } from './local-resources';
import { ensureTable } from './provision';
import { startEventDispatcher, type EventDispatcher } from './events/event-dispatcher';
import { attachQueueSink } from '../functions/platform/queue-sender';
import { attachJobExecutionStarter } from '../functions/jobs/job-execution';
import { loadJobSettings } from '../functions/jobs/job-settings';
import { createLocalJobRunner } from './jobs/local-job-runner';
import { LOCAL_DOI_PREFIX } from '../functions/publishing/local-datacite';
import { PUBLISHING_ENV } from '../functions/publishing/publishing-config';
import type { EventHandler } from './events/delivery-context';
import { localIntervalSeconds } from './events/schedule-timers';
import { checkHandlerSettings } from './startup-settings';
import { readRememberedPorts, rememberPorts } from './runtime-file';
import { LOCAL_S3_CREDENTIALS, startS3Server } from './s3-server';
import { LOCAL_ASSETS_BUCKET, startLocalDeploy } from './sagemaker/local-deploy';

export interface LocalRuntimeOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /**
   * The previous run on this data folder did not stop cleanly (its runtime.json was left:
   * local/runtime-file.ts), so table changes it had not yet delivered to the stream's readers
   * are lost; the start rebuilds what is derived from them before it serves (reconcileAfterUncleanStop).
   */
  readonly uncleanStop?: boolean;
  /** Single-user development mode: requests without credentials act as this user. */
  readonly devUser?: string;
  /** Whether a new data folder starts with the demo model (default true; MLHUB_DEMO_MODEL=off). */
  readonly seedDemo?: boolean;
  /** Gets a line for every request the embedded S3 server answers (to watch uploads). */
  readonly s3RequestLog?: (line: string) => void;
  readonly log?: (line: string) => void;
}

export interface LocalRuntime {
  readonly url: string;
  /** True when this start published the demo model into a new data folder. */
  readonly demoSeeded?: boolean;
  readonly devUser?: string;
  readonly dataDir: string;
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly tableName: string;
  readonly bucketName: string;
  /** Delivers storage events, table changes, queue messages and schedules to the catalogue's functions; holds the dead letters. */
  readonly events: EventDispatcher;
  stop(): Promise<void>;
}


/** createModel hands the seed's image form to this function (MLHUB_PREDICT_FUNCTION). */
const PREDICT_FUNCTION_ID = 'predictModel';
/** The functions another function invokes through Lambda (lib/functions/route-functions.ts grants it on these only). */
const INVOKED_FUNCTIONS: readonly string[] = [PREDICT_FUNCTION_ID];

const handlersDir = fileURLToPath(new URL('../functions/handlers/', import.meta.url));

/**
 * Brings up the indexer of this process (the one indexModels runs in) without waiting for it:
 * it loads the snapshot the pointer names, or rebuilds from the table and writes one. A failure
 * is one line in the log; the indexer tries again at its next batch.
 */
function startSearchIndexer(log: (line: string) => void): void {
  // Imported here, as the handlers are, once the runtime has set the functions' environment:
  // their logger reads its format (readable lines locally) when its module loads.
  void import('../functions/platform/search-services').then(({ searchIndexer }) => searchIndexer().start()).then(
    (index) => log(`Search index: ${index.engine.size} models at change ${index.sequence}, ${index.origin.kind === 'rebuilt' ? `rebuilt from the table (${index.origin.reason})` : `loaded from ${index.origin.pointer.key}`}`),
    (error: unknown) => log(`The search index was not built: ${String((error as Error)?.message ?? error)}`),
  );
}

/**
 * After an unclean stop, before any request is served: the views derived from the table's stream
 * must agree with the table again, since the local stream is this process's memory (in the cloud
 * the DynamoDB stream is durable and the indexer catches up by itself). The one such view is the
 * search index (its change log records what the stream delivered to indexModels; access changes
 * record themselves before answering, but a kill between the table write and that record loses
 * it): rebuilt from the table, written as a fresh snapshot, and the pointer moved to it, so every
 * search loads it. The other event-fed work heals by itself: a bundle whose S3 event was lost is
 * checked by the sweep, and a DOI registration whose queue message was lost is sent again by the
 * sweep (pending-sweep.ts), on its schedule.
 * @throws when the rebuild or the snapshot fails: serving would show what the table no longer holds
 */
async function reconcileAfterUncleanStop(log: (line: string) => void): Promise<void> {
  const { searchIndexer } = await import('../functions/platform/search-services');
  const index = await searchIndexer().start({ rebuild: 'the previous run did not stop cleanly, so the change log may lack its last changes' }).catch((error: unknown) => {
    throw new Error(`The previous run on this data folder did not stop cleanly, and the search index could not be rebuilt from the table: ${String((error as Error)?.message ?? error)}`, { cause: error });
  });
  log(`Search index: ${index.engine.size} models at change ${index.sequence}, rebuilt from the table (the previous run did not stop cleanly)`);
}

/** A promise the gateway's requests wait on: opened once the runtime is ready, failed if its start fails. */
function startupGate(): { readonly ready: Promise<void>; open(): void; fail(error: unknown): void } {
  let open!: () => void;
  let fail!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  // Requests that never came leave no unhandled rejection behind.
  ready.catch(() => undefined);
  return { ready, open, fail };
}

async function loadHandler<Handler = LambdaHandler>(module: string): Promise<Handler> {
  const loaded = (await import(pathToFileURL(join(handlersDir, `${module}.ts`)).href)) as { handler?: Handler };
  if (typeof loaded.handler !== 'function') throw new Error(`functions/handlers/${module}.ts exports no handler`);
  return loaded.handler;
}

/**
 * The environment a deployed function gets from the stack, pointed at the embedded servers.
 * Handlers run in this process, so this is their whole view of the world.
 */
function functionEnvironment(dynamoEndpoint: string, s3Endpoint: string): Record<string, string> {
  return {
    [CONFIG_ENV.table]: LOCAL_TABLE,
    [CONFIG_ENV.bucket]: LOCAL_BUCKET,
    [CONFIG_ENV.s3ForcePathStyle]: 'true',
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    // Checksums stay opt-in: the local S3 decodes aws-chunked uploads and checks CRC32, SHA-1 and
    // SHA-256 trailers, but refuses (501) the CRC32C and CRC64NVME ones rather than store them unchecked.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    // Lambda runs Node 22+; the local runtime may be on Node 20, which the SDK warns about.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The model cache's folder in the data folder, unless MLHUB_MODEL_CACHE_DIR names another. */
export const LOCAL_MODEL_CACHE_DIR = 'model-cache';

/**
 * MLHUB_MODEL_CACHE_DIR for the handlers: the user's setting, else `<data folder>/model-cache`.
 * Not the engine's default in the system's temporary folder: that one is shared by every MLHub of
 * the user, and each would count the others' model files and evict them, in use or not.
 */
function modelCacheEnvironment(env: NodeJS.ProcessEnv, dataDir: string): Record<string, string> {
  return env[INFERENCE_ENV.modelCacheDir] ? {} : { [INFERENCE_ENV.modelCacheDir]: join(dataDir, LOCAL_MODEL_CACHE_DIR) };
}

const JWKS_PATH = '/.well-known/jwks.json';

/** Handlers verify local sign-in tokens exactly as cloud ones: against a JWKS fetched over HTTP. */
/**
 * Publishing with the local DOI provider (functions/publishing/local-datacite.ts): DataCite's
 * former test prefix, DOIs kept in the local table, landing pages on this runtime.
 */
function publishingEnvironment(url: string): Record<string, string> {
  return { [PUBLISHING_ENV.prefix]: LOCAL_DOI_PREFIX, [PUBLISHING_ENV.provider]: 'local', [PUBLISHING_ENV.publisher]: 'MLHub (local)', [PUBLISHING_ENV.landingBaseUrl]: `${url}/` };
}

function identityEnvironment(issuer: LocalIssuer, port: number, options: LocalRuntimeOptions): Record<string, string> {
  const reachable = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    [IDENTITY_ENV.issuer]: issuer.issuer,
    [IDENTITY_ENV.audience]: issuer.audience,
    [IDENTITY_ENV.jwksUri]: `http://${reachable}:${port}${JWKS_PATH}`,
    ...(options.devUser ? { [IDENTITY_ENV.devUser]: options.devUser } : {}),
  };
}

/** A log sink that gets each line with its credentials redacted, as the handlers' log entries are. */
const redacted = (sink: (line: string) => void) => (line: string) => sink(redactText(line));

/** Everything MLHub needs on one machine: DynamoDB, S3 and the API, with data on disk. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  Object.assign(process.env, modelCacheEnvironment(process.env, dataDir));
  // Before anything starts: a setting the handlers would read on some later request is read now (SettingError).
  await checkHandlerSettings(process.env, CATALOGUE_FUNCTIONS);
  // Every line the runtime writes (access log, S3 request log, Lambda endpoint, events) goes through redactText.
  const log = redacted(options.log ?? ((line) => console.error(line)));
  const accessLog = options.log ? redacted(options.log) : undefined;
  await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
  await mkdir(join(dataDir, 's3'), { recursive: true });

  const startup = startupGate();
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of stops.reverse()) await close().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoServer({ directory: join(dataDir, 'dynamodb'), host: '127.0.0.1' });
    stops.push(dynamo.close);
    const remembered = await readRememberedPorts(dataDir);
    const s3 = await startS3Server({
      directory: join(dataDir, 's3'), host: '127.0.0.1', buckets: [LOCAL_BUCKET, LOCAL_ASSETS_BUCKET],
      // The origins the handlers answer CORS for (MLHUB_CORS_ORIGINS) may use presigned URLs too, as in the cloud.
      corsOrigins: loadCorsOrigins(),
      ...(remembered.s3 !== undefined ? { preferredPort: remembered.s3 } : {}),
      ...(options.s3RequestLog ? { requestLog: redacted(options.s3RequestLog) } : {}),
      errorLog: redacted((line) => console.error(line)),
    });
    stops.push(s3.close);
    await rememberPorts(dataDir, { s3: Number(new URL(s3.endpoint).port) });

    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, functionEnvironment(dynamo.endpoint, s3.endpoint), localObservabilityEnvironment(), localCognitoEnvironment(process.env));
    // Every handler runs in this process, each invocation in its own InvokeStore context, as on
    // Lambda with concurrent invocations: their log keys and metrics never mix.
    const scoped = await invocationScope();
    const loadScoped = async <Handler extends LambdaHandler | EventHandler>(module: string) => scoped(await loadHandler<Handler>(module));
    // Functions invoke functions through Lambda's Invoke API (createModel hands image forms to
    // predictModel): the endpoint runs those functions only, for requests signed with the
    // credentials the handlers have, as the stack grants lambda:InvokeFunction on them alone.
    const lambda = await startLambdaServer({
      host: '127.0.0.1',
      credentials: LOCAL_S3_CREDENTIALS,
      functions: ROUTES.filter((route) => INVOKED_FUNCTIONS.includes(route.id)),
      loadHandler: (module) => loadScoped<EventHandler>(module),
      log,
    });
    stops.push(lambda.close);
    Object.assign(process.env, { AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint, [CONFIG_ENV.predictFunction]: localFunctionName(PREDICT_FUNCTION_ID) });
    // Deploying runs the same SageMaker calls against a local SageMaker, whose endpoints are Python workers.
    const deploy = await startLocalDeploy({ dataDir, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS, devMode: options.devUser !== undefined, env: process.env, log });
    stops.push(deploy.server.close);
    Object.assign(process.env, deploy.environment);
    if (deploy.missing.length) log(`Deploying ${deploy.missing.join(', ')} models is off: functions/frameworks/scripts/ has no inference.py for them`);
    const dynamoClient = new DynamoDBClient({});
    const table = await ensureTable(dynamoClient, LOCAL_TABLE);
    dynamoClient.destroy();

    // The gateway listens first, holding requests until the runtime is ready, so that its address
    // is in the environment (the issuer's JWKS URI, DOI landing pages) before anything can run a
    // handler: the sweep, the indexer and the other event functions build the same shared
    // services (functions/platform/table-services.ts) as the routes, and keep them for the
    // process's life. Built earlier, they kept no dev user and no issuer: every request a 401.
    const issuer = await openLocalIssuer(dataDir);
    const gateway = await startGateway({
      host: options.host,
      port: options.port,
      routes: ROUTES,
      loadHandler: (module) => loadScoped<LambdaHandler>(module),
      fallbackModule: FALLBACK_HANDLER,
      staticDocuments: new Map<string, unknown>([
        [JWKS_PATH, issuer.jwks],
        ['/.well-known/openid-configuration', { issuer: issuer.issuer, jwks_uri: JWKS_PATH, id_token_signing_alg_values_supported: ['ES256'] }],
      ]),
      ready: startup.ready,
      ...(accessLog ? { log: accessLog } : {}),
    });
    stops.push(gateway.close);
    Object.assign(process.env, identityEnvironment(issuer, gateway.port, options), publishingEnvironment(gateway.url));
    if (!options.devUser) delete process.env[IDENTITY_ENV.devUser];

    // Before the gateway: the stores a request builds must find the table change sink attached.
    const events = startEventDispatcher({
      functions: CATALOGUE_FUNCTIONS,
      loadHandler: (module) => loadScoped<EventHandler>(module),
      buckets: { 'bundle-bucket': LOCAL_BUCKET },
      tableName: LOCAL_TABLE,
      // The pending sweep runs every MLHUB_SWEEP_SECONDS, as EventBridge runs it in the cloud.
      intervalSeconds: (fn) => localIntervalSeconds(fn),
      region: LOCAL_REGION,
      log,
    });
    stops.push(events.stop);
    s3.onObjectEvent(events.s3Event);
    // Messages the handlers send (the DOI registrations) go to the dispatcher's queues, as to SQS.
    const detachQueueSink = attachQueueSink((queue, body) => void events.sendMessage(queue, body));
    stops.push(async () => detachQueueSink());
    // Batch jobs: the POST handler's start (StartExecution in the cloud) goes to the in-process
    // runner, which runs the job state machine's tasks through the dispatcher (local/jobs/).
    const { jobStore } = await import('../functions/platform/job-store-services');
    const { bundleStore } = await import('../functions/platform/bundle-services');
    const jobRunner = createLocalJobRunner({
      runTask: (functionId, input) => events.runTask(functionId, input),
      jobs: jobStore,
      readManifest: (_bucket, key) => bundleStore().get(key),
      concurrency: loadJobSettings().concurrency,
      log,
    });
    const detachJobStarter = attachJobExecutionStarter(async (jobId) => jobRunner.start(jobId));
    stops.push(async () => {
      detachJobStarter();
      jobRunner.stop();
    });

    // The search index is rebuilt from the table when its snapshot is missing or stale, as the
    // cloud's indexer does at a cold start (issue 13), or the previous run stopped uncleanly;
    // then the stream keeps it current.
    if (options.uncleanStop) await reconcileAfterUncleanStop(log);
    else startSearchIndexer(log);

    startup.open();
    // Jobs left queued or running by the last run (a kill -9 included) go on from their counted chunks.
    void jobRunner.resume().catch((error: unknown) => log(`Batch jobs were not resumed: ${String((error as Error)?.message ?? error)}`));
    // A new data folder starts with the demo model, so the README's predict example just works.
    // The seeding goes through the API like any caller, so the user's limits (MLHUB_RATE_LIMITS) may
    // stop it: then it is one line in the log, and the runtime starts all the same.
    let demo: SeedOutcome | undefined;
    if (table === 'created' && options.seedDemo !== false) {
      try {
        demo = await seedDemoModel(gateway.url, await issuer.sign('local', { expiresIn: '5m' }));
      } catch (error) {
        log(`The demo model ${DEMO_MODEL} was not seeded: ${String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' ')}`);
      }
    }
    return {
      url: gateway.url,
      ...(demo ? { demoSeeded: true } : {}),
      ...(options.devUser ? { devUser: options.devUser } : {}),
      dataDir,
      dynamoEndpoint: dynamo.endpoint,
      s3Endpoint: s3.endpoint,
      tableName: LOCAL_TABLE,
      bucketName: LOCAL_BUCKET,
      events,
      stop,
    };
  } catch (error) {
    startup.fail(error);
    await stop();
    throw error;
  }
}
