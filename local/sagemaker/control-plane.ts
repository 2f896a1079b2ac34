import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { writeFileAtomically } from '../atomic-file';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { EndpointWorker, type StartOutcome, type WorkerReply } from './endpoint-worker';
import { WorkerPidFile } from './leftover-workers';
import { unpackArchive } from './unpack-archive';

/** A SageMaker API error: its type (`__type`) and message, as the JSON 1.1 protocol sends them. */
export class SageMakerFault extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** An AdditionalModelDataSources entry the local SageMaker serves: one gzipped tar object, unpacked. */
interface ChannelEntry {
  readonly channel: string;
  readonly uri: string;
}

/** The container folder SageMaker unpacks AdditionalModelDataSources into, one subfolder per channel. */
const CHANNELS_ROOT = '/opt/ml/additional-model-data-sources/';

interface ModelEntry {
  readonly name: string;
  readonly image: string;
  readonly modelDataUrl: string;
  /** AdditionalModelDataSources (absent in state a previous version wrote). */
  readonly channels?: readonly ChannelEntry[];
  readonly environment: Readonly<Record<string, string>>;
  readonly roleArn: string;
  readonly networkIsolation: boolean;
  readonly created: number;
}

interface ConfigEntry {
  readonly name: string;
  readonly modelName: string;
  readonly memoryMb: number;
  readonly maxConcurrency: number;
  readonly created: number;
}

interface EndpointEntry {
  readonly name: string;
  readonly configName: string;
  status: 'Creating' | 'InService' | 'Failed';
  failureReason?: string;
  readonly created: number;
  modified: number;
}

interface State {
  models: Record<string, ModelEntry>;
  configs: Record<string, ConfigEntry>;
  endpoints: Record<string, EndpointEntry>;
}

/**
 * The state a previous run saved. One that cannot be read (torn by a crash before saves were
 * atomic, or edited by hand) is started afresh, logged, rather than keeping MLHub from starting:
 * the workers that run left were stopped already, and its deployments then read as deleted outside
 * MLHub (functions/frameworks/deployment-settling.ts), which their owners may deploy again.
 */
async function readState(path: string, log: (line: string) => void): Promise<State> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as Partial<State> | null;
    if (state && typeof state === 'object' && [state.models, state.configs, state.endpoints].every((part) => part !== null && typeof part === 'object' && !Array.isArray(part))) return state as State;
  } catch {
    // Read as unreadable below.
  }
  log(`sagemaker: ${path} could not be read; the local SageMaker starts with no endpoints`);
  return { models: {}, configs: {}, endpoints: {} };
}

export interface LocalSageMakerOptions {
  /** Where the state and each endpoint's unpacked model and scripts live. */
  readonly directory: string;
  readonly region: string;
  readonly account: string;
  /** Opens an s3:// object of the local S3 (the bundle, the scripts archive). */
  readonly openObject: (bucket: string, key: string) => Promise<Readable>;
  readonly python: string;
  readonly serveScript: string;
  /** How long a worker may take to load its model before its endpoint fails. */
  readonly startTimeoutMs: number;
  /** A worker unused this long is stopped; the next invocation starts it again. */
  readonly idleMs: number;
  readonly log: (line: string) => void;
  /**
   * Set on every worker as it starts, over its container's Environment: the operator's settings
   * now (MLHUB_ALLOW_MODEL_CODE), which a model deployed under an earlier setting must not keep
   * when its worker starts again after the operator turned them off.
   */
  readonly workerEnvironment?: () => Readonly<Record<string, string>>;
}

const SERVERLESS_MEMORY = [1024, 2048, 3072, 4096, 5120, 6144];

function s3Location(uri: string, field: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new SageMakerFault('ValidationException', `${field} must be an s3:// URI of an object, got '${uri}'`);
  return { bucket: match[1] as string, key: match[2] as string };
}

const text = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || value === '') throw new SageMakerFault('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
};

/**
 * AdditionalModelDataSources as the local SageMaker serves them: each a channel name (SageMaker's
 * pattern) and a gzipped tar S3 object (S3Object, Gzip), which is what MLHub sends; an S3 prefix
 * or an uncompressed object is refused rather than half served.
 */
function channelsOf(value: unknown): ChannelEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SageMakerFault('ValidationException', 'PrimaryContainer.AdditionalModelDataSources must be a list');
  return value.map((entry: { ChannelName?: unknown; S3DataSource?: { S3Uri?: unknown; S3DataType?: unknown; CompressionType?: unknown } }, i) => {
    const channel = text(entry?.ChannelName, `primaryContainer.additionalModelDataSources.${i + 1}.member.channelName`);
    if (!/^[A-Za-z0-9.\-_]{1,64}$/.test(channel)) throw new SageMakerFault('ValidationException', `ChannelName '${channel}' does not match [A-Za-z0-9.\\-_]{1,64}`);
    const source = entry.S3DataSource ?? {};
    const uri = text(source.S3Uri, `primaryContainer.additionalModelDataSources.${i + 1}.member.s3DataSource.s3Uri`);
    s3Location(uri, 'AdditionalModelDataSources.S3DataSource.S3Uri');
    if (source.S3DataType !== 'S3Object' || source.CompressionType !== 'Gzip') {
      throw new SageMakerFault('ValidationException', 'The local SageMaker serves AdditionalModelDataSources of S3DataType S3Object with CompressionType Gzip only');
    }
    return { channel, uri };
  });
}

/**
 * The local stand-in for SageMaker's control plane and runtime, for `npm start`: models, serverless
 * endpoint configurations and endpoints as SageMaker keeps them (state on disk, so they outlive a
 * restart), and for each endpoint a worker process (endpoint-worker.ts) running the very scripts
 * the cloud containers run. Creating an endpoint unpacks the bundle (ModelDataUrl) and the scripts
 * archive (the AdditionalModelDataSources channel SAGEMAKER_SUBMIT_DIRECTORY names, or an s3://
 * SAGEMAKER_SUBMIT_DIRECTORY itself) from the local S3 and starts its worker: InService once
 * /ping answers 200, Failed with the worker's reason otherwise. Workers stop when idle and start
 * again on the next invocation, as they do after a crash.
 */
export class LocalSageMaker {
  private state: State = { models: {}, configs: {}, endpoints: {} };
  private readonly workers = new Map<string, EndpointWorker>();
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();
  /** Each endpoint's bringUp in progress (unpacking, then starting its worker), which a delete waits for. */
  private readonly bringing = new Map<string, Promise<void>>();
  private readonly statePath: string;
  private saving: Promise<void> = Promise.resolve();
  private readonly pidFile: WorkerPidFile;
  /** Invocations being served per endpoint, held to its MaxConcurrency. */
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: LocalSageMakerOptions) {
    this.statePath = join(options.directory, 'state.json');
    this.pidFile = new WorkerPidFile(join(options.directory, 'workers.json'));
  }

  /**
   * Reads the state a previous run left, after stopping the workers that run left behind (a crash
   * or kill -9 gives it no chance to); an endpoint it left Creating is prepared again.
   */
  async open(): Promise<void> {
    await mkdir(this.options.directory, { recursive: true });
    await this.pidFile.reap(this.options.serveScript, this.options.directory, this.options.log);
    if (existsSync(this.statePath)) this.state = await readState(this.statePath, this.options.log);
    for (const endpoint of Object.values(this.state.endpoints)) if (endpoint.status === 'Creating') void this.bringUp(endpoint);
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:sagemaker:${this.options.region}:${this.options.account}:${kind}/${name.toLowerCase()}`;
  }

  /** Writes the state whole (a kill -9 mid-write leaves the last one), in order, one after another. */
  private save(): Promise<void> {
    const text = JSON.stringify(this.state, null, 2);
    const saved = this.saving.then(() => writeFileAtomically(this.statePath, text));
    this.saving = saved.catch(() => undefined);
    return saved;
  }

  /** Runs one control-plane operation (the X-Amz-Target's name) on its JSON input. */
  async operate(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (operation) {
      case 'CreateModel': return this.createModel(input);
      case 'DeleteModel': return this.remove('models', text(input.ModelName, 'modelName'), 'model');
      case 'CreateEndpointConfig': return this.createEndpointConfig(input);
      case 'DeleteEndpointConfig': return this.remove('configs', text(input.EndpointConfigName, 'endpointConfigName'), 'endpoint configuration');
      case 'CreateEndpoint': return this.createEndpoint(input);
      case 'DescribeEndpoint': return this.describeEndpoint(text(input.EndpointName, 'endpointName'));
      case 'DeleteEndpoint': return this.deleteEndpoint(text(input.EndpointName, 'endpointName'));
      default: throw new SageMakerFault('UnknownOperationException', `The local SageMaker does not serve ${operation}`);
    }
  }

  private async createModel(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(input.ModelName, 'modelName');
    if (this.state.models[name]) throw new SageMakerFault('ValidationException', `Cannot create already existing model "${this.arn('model', name)}".`);
    const container = (input.PrimaryContainer ?? {}) as Record<string, unknown>;
    const modelDataUrl = text(container.ModelDataUrl, 'primaryContainer.modelDataUrl');
    s3Location(modelDataUrl, 'PrimaryContainer.ModelDataUrl');
    const environment = (container.Environment ?? {}) as Record<string, string>;
    const channels = channelsOf(container.AdditionalModelDataSources);
    this.state.models[name] = {
      name, image: text(container.Image, 'primaryContainer.image'), modelDataUrl, channels, environment,
      roleArn: text(input.ExecutionRoleArn, 'executionRoleArn'), networkIsolation: input.EnableNetworkIsolation === true, created: Date.now() / 1000,
    };
    await this.save();
    return { ModelArn: this.arn('model', name) };
  }

  private async createEndpointConfig(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(input.EndpointConfigName, 'endpointConfigName');
    if (this.state.configs[name]) throw new SageMakerFault('ValidationException', `Cannot create already existing endpoint configuration "${this.arn('endpoint-config', name)}".`);
    const variants = Array.isArray(input.ProductionVariants) ? (input.ProductionVariants as Record<string, unknown>[]) : [];
    if (variants.length !== 1) throw new SageMakerFault('ValidationException', 'The local SageMaker takes exactly one production variant');
    const variant = variants[0] as Record<string, unknown>;
    const modelName = text(variant.ModelName, 'productionVariants.1.member.modelName');
    if (!this.state.models[modelName]) throw new SageMakerFault('ValidationException', `Could not find model "${this.arn('model', modelName)}".`);
    const serverless = variant.ServerlessConfig as { MemorySizeInMB?: number; MaxConcurrency?: number } | undefined;
    if (!serverless || !SERVERLESS_MEMORY.includes(serverless.MemorySizeInMB ?? 0) || !(Number(serverless.MaxConcurrency) >= 1 && Number(serverless.MaxConcurrency) <= 200)) {
      throw new SageMakerFault('ValidationException', 'The local SageMaker serves serverless variants only: ServerlessConfig with MemorySizeInMB of 1024-6144 in steps of 1024 and MaxConcurrency of 1-200');
    }
    this.state.configs[name] = { name, modelName, memoryMb: serverless.MemorySizeInMB as number, maxConcurrency: serverless.MaxConcurrency as number, created: Date.now() / 1000 };
    await this.save();
    return { EndpointConfigArn: this.arn('endpoint-config', name) };
  }

  private async createEndpoint(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(input.EndpointName, 'endpointName');
    const configName = text(input.EndpointConfigName, 'endpointConfigName');
    if (this.state.endpoints[name]) throw new SageMakerFault('ValidationException', `Cannot create already existing endpoint "${this.arn('endpoint', name)}".`);
    if (!this.state.configs[configName]) throw new SageMakerFault('ValidationException', `Could not find endpoint configuration "${this.arn('endpoint-config', configName)}".`);
    const now = Date.now() / 1000;
    const endpoint: EndpointEntry = { name, configName, status: 'Creating', created: now, modified: now };
    this.state.endpoints[name] = endpoint;
    await this.save();
    void this.bringUp(endpoint);
    return { EndpointArn: this.arn('endpoint', name) };
  }

  private describeEndpoint(name: string): Record<string, unknown> {
    const endpoint = this.state.endpoints[name];
    if (!endpoint) throw new SageMakerFault('ValidationException', `Could not find endpoint "${this.arn('endpoint', name)}".`);
    return {
      EndpointName: name, EndpointArn: this.arn('endpoint', name), EndpointConfigName: endpoint.configName, EndpointStatus: endpoint.status,
      ...(endpoint.failureReason ? { FailureReason: endpoint.failureReason } : {}), CreationTime: endpoint.created, LastModifiedTime: endpoint.modified,
    };
  }

  /**
   * Deletes at once (SageMaker's Deleting passes in an instant here): the worker stops and its
   * folders go. An endpoint still being brought up is waited for (its unpacking would otherwise
   * write into the folder being removed), and then starts no worker, since it is gone from the state.
   */
  private async deleteEndpoint(name: string): Promise<Record<string, unknown>> {
    if (!this.state.endpoints[name]) throw new SageMakerFault('ValidationException', `Could not find endpoint "${this.arn('endpoint', name)}".`);
    delete this.state.endpoints[name];
    this.stopWorker(name);
    await this.save();
    await this.bringing.get(name)?.catch(() => undefined);
    this.stopWorker(name);
    this.workers.delete(name);
    // Retried: a worker that just stopped, or a reader, may still hold a file in it for a moment.
    await rm(this.endpointDir(name), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    return {};
  }

  private async remove(kind: 'models' | 'configs', name: string, what: string): Promise<Record<string, unknown>> {
    if (!this.state[kind][name]) throw new SageMakerFault('ValidationException', `Could not find ${what} "${this.arn(kind === 'models' ? 'model' : 'endpoint-config', name)}".`);
    delete this.state[kind][name];
    await this.save();
    return {};
  }

  private endpointDir(name: string): string {
    return join(this.options.directory, 'endpoints', name);
  }

  /** The endpoint's model, as its configuration names it (undefined once either was deleted). */
  private modelOf(endpoint: EndpointEntry): ModelEntry | undefined {
    const config = this.state.configs[endpoint.configName];
    return config ? this.state.models[config.modelName] : undefined;
  }

  /**
   * The local folder SAGEMAKER_SUBMIT_DIRECTORY names: a channel's folder when it is a container
   * path under /opt/ml/additional-model-data-sources/, else `code` (an s3:// archive, unpacked there).
   */
  private codeDirOf(endpoint: EndpointEntry, model: ModelEntry): string {
    const submit = model.environment.SAGEMAKER_SUBMIT_DIRECTORY ?? '';
    const dir = this.endpointDir(endpoint.name);
    if (!submit.startsWith(CHANNELS_ROOT)) return join(dir, 'code');
    const channel = submit.slice(CHANNELS_ROOT.length).split('/')[0] ?? '';
    if (!(model.channels ?? []).some((entry) => entry.channel === channel)) throw new Error(`SAGEMAKER_SUBMIT_DIRECTORY ${submit} names no AdditionalModelDataSources channel`);
    return join(dir, 'additional-model-data-sources', submit.slice(CHANNELS_ROOT.length));
  }

  /** Unpacks the bundle, the additional channels and the scripts archive, as the container's start does. */
  private async prepare(endpoint: EndpointEntry, model: ModelEntry): Promise<{ modelDir: string; codeDir: string }> {
    const dir = this.endpointDir(endpoint.name);
    const modelDir = join(dir, 'model');
    const bundle = s3Location(model.modelDataUrl, 'ModelDataUrl');
    await unpackArchive(await this.options.openObject(bundle.bucket, bundle.key), modelDir, (path) => this.options.log(`[${endpoint.name}] skipped the link ${path} in the bundle`));
    for (const { channel, uri } of model.channels ?? []) {
      const object = s3Location(uri, 'AdditionalModelDataSources.S3DataSource.S3Uri');
      await unpackArchive(await this.options.openObject(object.bucket, object.key), join(dir, 'additional-model-data-sources', channel));
    }
    const codeDir = this.codeDirOf(endpoint, model);
    const submit = model.environment.SAGEMAKER_SUBMIT_DIRECTORY ?? '';
    if (!submit.startsWith(CHANNELS_ROOT)) {
      const scripts = s3Location(submit, 'SAGEMAKER_SUBMIT_DIRECTORY');
      await unpackArchive(await this.options.openObject(scripts.bucket, scripts.key), codeDir);
    }
    return { modelDir, codeDir };
  }

  private workerFor(endpoint: EndpointEntry, model: ModelEntry): EndpointWorker {
    let worker = this.workers.get(endpoint.name);
    if (!worker) {
      const dir = this.endpointDir(endpoint.name);
      // Container paths mean nothing here: the worker gets the local folders instead.
      const { SAGEMAKER_SUBMIT_DIRECTORY: _submit, PYTHONPATH: _path, ...environment } = model.environment;
      worker = new EndpointWorker({
        endpoint: endpoint.name, python: this.options.python, serveScript: this.options.serveScript,
        codeDir: this.codeDirOf(endpoint, model), modelDir: join(dir, 'model'), environment: { ...environment, ...this.options.workerEnvironment?.() }, log: this.options.log,
        owner: this.options.directory, onPid: (pid) => this.pidFile.set(endpoint.name, pid), onExit: (pid) => this.pidFile.forget(endpoint.name, pid),
      });
      this.workers.set(endpoint.name, worker);
    }
    return worker;
  }

  /** Creating → InService or Failed, by what the worker's /ping says; recorded in `bringing` while it runs. */
  private bringUp(endpoint: EndpointEntry): Promise<void> {
    const run = this.bringUpOnce(endpoint).finally(() => {
      if (this.bringing.get(endpoint.name) === run) this.bringing.delete(endpoint.name);
    });
    this.bringing.set(endpoint.name, run);
    return run;
  }

  private async bringUpOnce(endpoint: EndpointEntry): Promise<void> {
    const deleted = () => this.state.endpoints[endpoint.name] !== endpoint;
    let outcome: StartOutcome;
    try {
      const model = this.modelOf(endpoint);
      if (!model) throw new Error(`the endpoint configuration ${endpoint.configName} or its model was deleted`);
      await this.prepare(endpoint, model);
      // Deleted while its files were unpacked: no worker for an endpoint that is gone.
      if (deleted()) return;
      outcome = await this.workerFor(endpoint, model).start(this.options.startTimeoutMs);
    } catch (error) {
      outcome = { ok: false, reason: `The model could not be prepared: ${(error as Error).message}` };
    }
    if (deleted()) return;
    endpoint.status = outcome.ok ? 'InService' : 'Failed';
    if (!outcome.ok) endpoint.failureReason = outcome.reason;
    endpoint.modified = Date.now() / 1000;
    this.options.log(`[${endpoint.name}] ${outcome.ok ? 'in service' : `failed: ${outcome.reason}`}`);
    await this.save();
    if (outcome.ok) this.touch(endpoint.name);
  }

  /**
   * InvokeEndpoint: the worker's answer. Its worker is started first if it is not running (first
   * use after a restart, after idling, or after a crash). Faults: ValidationException for an
   * endpoint that is missing or not in service; ThrottlingException past its configuration's
   * MaxConcurrency invocations at once, as a serverless endpoint throttles; ModelError when the
   * worker cannot start again.
   */
  async invoke(name: string, body: Buffer, contentType: string, accept: string): Promise<WorkerReply> {
    const endpoint = this.state.endpoints[name];
    if (!endpoint) throw new SageMakerFault('ValidationException', `Endpoint ${name} of account ${this.options.account} not found.`);
    if (endpoint.status !== 'InService') throw new SageMakerFault('ValidationException', `Endpoint ${name} of account ${this.options.account} is ${endpoint.status}, not InService.`);
    const cap = this.state.configs[endpoint.configName]?.maxConcurrency ?? 1;
    const running = this.inFlight.get(name) ?? 0;
    if (running >= cap) throw new SageMakerFault('ThrottlingException', `Endpoint ${name} is already serving ${running} invocations, its MaxConcurrency; try again`);
    this.inFlight.set(name, running + 1);
    try {
      return await this.invokeWorker(endpoint, name, body, contentType, accept);
    } finally {
      const left = (this.inFlight.get(name) ?? 1) - 1;
      if (left > 0) this.inFlight.set(name, left);
      else this.inFlight.delete(name);
    }
  }

  private async invokeWorker(endpoint: EndpointEntry, name: string, body: Buffer, contentType: string, accept: string): Promise<WorkerReply> {
    const model = this.modelOf(endpoint);
    if (!model) throw new SageMakerFault('ValidationException', `Endpoint ${name}'s model was deleted.`);
    const worker = this.workerFor(endpoint, model);
    if (!worker.running) {
      if (!existsSync(join(this.endpointDir(name), 'model'))) await this.prepare(endpoint, model);
      this.options.log(`[${name}] starting its worker`);
      const outcome = await worker.start(this.options.startTimeoutMs);
      if (!outcome.ok) throw new SageMakerFault('ModelError', `The worker did not start again: ${outcome.reason}`, 424);
    }
    this.touch(name);
    return worker.invoke(body, contentType, accept);
  }

  /** Restarts the endpoint's idle clock. */
  private touch(name: string): void {
    clearTimeout(this.idleTimers.get(name));
    const timer = setTimeout(() => {
      this.idleTimers.delete(name);
      if (this.workers.get(name)?.running) this.options.log(`[${name}] idle: its worker stops until the next invocation`);
      this.stopWorker(name);
    }, this.options.idleMs);
    timer.unref();
    this.idleTimers.set(name, timer);
  }

  private stopWorker(name: string): void {
    clearTimeout(this.idleTimers.get(name));
    this.idleTimers.delete(name);
    this.workers.get(name)?.stop();
  }

  /** Stops every worker (npm start's shutdown). */
  close(): void {
    for (const name of this.workers.keys()) this.stopWorker(name);
  }
}
