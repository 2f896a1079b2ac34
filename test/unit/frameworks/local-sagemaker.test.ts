import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateModelCommand, DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScriptsArchive } from '../../../functions/frameworks/scripts-archive';
import { SageMakerDeployer } from '../../../functions/frameworks/sagemaker-deployer';
import { LOCAL_S3_CREDENTIALS } from '../../../local/s3-server';
import { LocalSageMaker } from '../../../local/sagemaker/control-plane';
import { EndpointWorker } from '../../../local/sagemaker/endpoint-worker';
import { startSageMakerServer, type RunningSageMakerServer } from '../../../local/sagemaker/sagemaker-server';
import { standInScripts } from '../../support/deploy/stand-in-worker';
import { modelBundle } from '../../support/inference/bundles';

let dataDir: string;
let scriptsDir: string;
let server: RunningSageMakerServer;
const lines: string[] = [];
const objects = new Map<string, Buffer>();
/** Objects whose reading waits for the test to open their gate: an unpack caught half-way. */
const gates = new Map<string, Promise<void>>();
const region = 'us-east-1';
const control = () => new SageMakerClient({ endpoint: server.endpoint, region, credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });
const runtime = () => new SageMakerRuntimeClient({ endpoint: server.endpoint, region, credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });

/** Asks until the local SageMaker settles the endpoint; bounded, never timed. */
async function settled(name: string): Promise<{ EndpointStatus?: string; FailureReason?: string }> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const described = await control().send(new DescribeEndpointCommand({ EndpointName: name }));
    if (described.EndpointStatus !== 'Creating') return described;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} never left Creating`);
}

async function deploy(name: string, model: unknown): Promise<void> {
  objects.set(`models/${name}.tar.gz`, await modelBundle({ 'model.joblib': JSON.stringify(model) }));
  await new SageMakerDeployer(control()).create({
    name, image: 'sklearn-image', modelDataUrl: `s3://bundles/models/${name}.tar.gz`, scriptsUri: 's3://assets/sklearn.tar.gz',
    roleArn: 'arn:aws:iam::000000000000:role/r', memoryMb: 1024, maxConcurrency: 1, allowPickles: true,
  });
}

let sagemaker: LocalSageMaker;
/** What the runtime's operator has set now (local-deploy.ts gives MLHUB_ALLOW_MODEL_CODE): none unless a test sets it. */
let operatorSetting: Record<string, string> = {};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mlhub-local-sagemaker-'));
  scriptsDir = await standInScripts();
  objects.set('assets/sklearn.tar.gz', buildScriptsArchive('sklearn', scriptsDir).bytes);
  sagemaker = new LocalSageMaker({
    directory: dataDir, region, account: '000000000000',
    openObject: async (bucket, key) => {
      const bytes = objects.get(`${bucket === 'assets' ? 'assets/' : ''}${key}`) ?? Buffer.alloc(0);
      const gate = gates.get(key);
      return Readable.from((async function* () {
        if (gate) await gate;
        yield bytes;
      })());
    },
    python: '/usr/bin/python3', serveScript: join(scriptsDir, 'serve.py'), startTimeoutMs: 60_000, idleMs: 3_600_000,
    log: (line) => lines.push(line),
    workerEnvironment: () => operatorSetting,
  });
  await sagemaker.open();
  server = await startSageMakerServer({ host: '127.0.0.1', credentials: LOCAL_S3_CREDENTIALS, sagemaker, log: (line) => lines.push(line) });
});

afterAll(async () => {
  await server?.close();
  // Retried: a worker stopping records its exit in the folder (workers.json) meanwhile.
  await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  await rm(scriptsDir, { recursive: true, force: true });
});

describe('the local SageMaker', () => {
  it('starts on a folder whose state a crash tore, with no endpoints, and saves its state whole', async () => {
    const torn = await mkdtemp(join(tmpdir(), 'mlhub-local-sagemaker-torn-'));
    try {
      await writeFile(join(torn, 'state.json'), '{"models": {"m": {"ModelName"');
      const logged: string[] = [];
      const fresh = new LocalSageMaker({
        directory: torn, region, account: '000000000000', openObject: async () => Readable.from([]),
        python: '/usr/bin/python3', serveScript: join(scriptsDir, 'serve.py'), startTimeoutMs: 60_000, idleMs: 3_600_000, log: (line) => logged.push(line),
      });
      await fresh.open();
      expect(logged.some((line) => /state\.json could not be read; the local SageMaker starts with no endpoints/.test(line))).toBe(true);
      await expect(fresh.operate('DescribeEndpoint', { EndpointName: 'm' })).rejects.toThrow(/Could not find endpoint/i);
      // Its next save replaces the torn file with a whole one.
      await fresh.operate('CreateModel', { ModelName: 'whole', PrimaryContainer: { Image: 'sklearn-image', ModelDataUrl: 's3://bundles/models/whole.tar.gz' }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/r' }).catch(() => undefined);
      const saved = await readFile(join(torn, 'state.json'), 'utf8');
      expect(() => JSON.parse(saved)).not.toThrow();
      fresh.close();
    } finally {
      await rm(torn, { recursive: true, force: true });
    }
  });

  it('starts a worker with the operator\'s model-code setting as it is now, not as it was when the model was deployed (review 14c finding 7)', async () => {
    operatorSetting = { MLHUB_ALLOW_MODEL_CODE: '0', MLHUB_ALLOW_PICKLES: '0' };
    try {
      // Deployed with pickles allowed (its CreateModel environment says 1), started after the operator turned them off.
      await deploy('turned-off', { classes: ['a', 'b'], weights: [1, 0] });
      expect(await settled('turned-off')).toMatchObject({ EndpointStatus: 'Failed', FailureReason: expect.stringMatching(/pickles are off/) });
    } finally {
      operatorSetting = {};
    }
  });

  it('answers nothing unsigned or signed with other credentials, as AWS does', async () => {
    const unsigned = await fetch(server.endpoint, { method: 'POST', headers: { 'x-amz-target': 'SageMaker.DescribeEndpoint', 'content-type': 'application/x-amz-json-1.1' }, body: '{"EndpointName":"x"}' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const stranger = new SageMakerClient({ endpoint: server.endpoint, region, credentials: { accessKeyId: 'OTHER', secretAccessKey: 'x' }, maxAttempts: 1 });
    await expect(stranger.send(new DescribeEndpointCommand({ EndpointName: 'x' }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    const forged = new SageMakerClient({ endpoint: server.endpoint, region, credentials: { accessKeyId: LOCAL_S3_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    await expect(forged.send(new DescribeEndpointCommand({ EndpointName: 'x' }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    await expect(control().send(new DescribeEndpointCommand({ EndpointName: 'missing' }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/Could not find endpoint/) });
  });

  it('unpacks the scripts channel (AdditionalModelDataSources) and refuses channels it cannot serve as SageMaker would', async () => {
    const model = (name: string, source: Record<string, string>, submit = '/opt/ml/additional-model-data-sources/mlhub-scripts') => new CreateModelCommand({
      ModelName: name, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/r', EnableNetworkIsolation: true,
      PrimaryContainer: {
        Image: 'sklearn-image', ModelDataUrl: 's3://bundles/models/x.tar.gz', Environment: { SAGEMAKER_SUBMIT_DIRECTORY: submit },
        AdditionalModelDataSources: [{ ChannelName: 'mlhub-scripts', S3DataSource: { S3Uri: 's3://assets/sklearn.tar.gz', S3DataType: 'S3Object', CompressionType: 'Gzip', ...source } as never }],
      },
    });
    await expect(control().send(model('prefix-channel', { S3DataType: 'S3Prefix', S3Uri: 's3://assets/scripts/' }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/S3Object with CompressionType Gzip/) });
    await expect(control().send(model('plain-channel', { CompressionType: 'None' }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/S3Object with CompressionType Gzip/) });
    await deploy('ep-channel', { w: [1], b: 0 });
    expect((await settled('ep-channel')).EndpointStatus).toBe('InService');
    // The stand-in checks that inference.py and mlhub_serving/ came from SAGEMAKER_SUBMIT_DIRECTORY: here the channel's folder.
    expect(existsSync(join(dataDir, 'endpoints', 'ep-channel', 'additional-model-data-sources', 'mlhub-scripts', 'inference.py'))).toBe(true);
  });

  it('serves an endpoint from its worker, and starts the worker again after it crashed', async () => {
    await deploy('ep-crash', { w: [2, 3], b: 1 });
    expect((await settled('ep-crash')).EndpointStatus).toBe('InService');
    const invoke = async () => JSON.parse(Buffer.from((await runtime().send(new InvokeEndpointCommand({ EndpointName: 'ep-crash', Body: Buffer.from('{"instances": [[1, 1]]}'), ContentType: 'application/json' }))).Body ?? []).toString()) as unknown;
    expect(await invoke()).toEqual({ predictions: [6] });
    const pid = Number(/\[ep-crash\] stand-in worker loaded, pid (\d+)/.exec(lines.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    for (let alive = true; alive; await new Promise((resolve) => setTimeout(resolve, 50))) {
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    expect(await invoke()).toEqual({ predictions: [6] });
    expect(lines).toContain('[ep-crash] starting its worker');
    const pids = [...lines.join('\n').matchAll(/\[ep-crash\] stand-in worker loaded, pid (\d+)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);
    expect(pids[1]).not.toBe(pid);
  });

  it('throttles invocations past the endpoint configuration\'s MaxConcurrency, as a serverless endpoint does (review 14b finding 14)', async () => {
    await deploy('ep-throttle', { w: [1], b: 0 });
    expect((await settled('ep-throttle')).EndpointStatus).toBe('InService');
    const body = Buffer.from('{"instances": [[4]]}');
    // MaxConcurrency 1: the second call starts while the first is in flight.
    const [first, second] = await Promise.allSettled([sagemaker.invoke('ep-throttle', body, 'application/json', 'application/json'), sagemaker.invoke('ep-throttle', body, 'application/json', 'application/json')]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { type: 'ThrottlingException' } });
    // The slot is free again once the first answered.
    expect(JSON.parse((await sagemaker.invoke('ep-throttle', body, 'application/json', 'application/json')).body.toString())).toEqual({ predictions: [4] });
  });

  it("gives each endpoint its own worker, and a model's error reaches the caller as SageMaker's ModelError", async () => {
    await deploy('ep-other', { w: [1, 1], b: 0 });
    expect((await settled('ep-other')).EndpointStatus).toBe('InService');
    const pidOf = (name: string) => /stand-in worker loaded, pid (\d+)/.exec(lines.find((line) => line.startsWith(`[${name}] stand-in worker loaded`)) ?? '')?.[1];
    expect(pidOf('ep-other')).not.toBe(pidOf('ep-crash'));
    await expect(runtime().send(new InvokeEndpointCommand({ EndpointName: 'ep-other', Body: Buffer.from('{"instances": [[1]]}'), ContentType: 'application/json' })))
      .rejects.toMatchObject({ name: 'ModelError', OriginalStatusCode: 400 });
  });

  it('fails an endpoint whose model does not load, with the worker\'s message', async () => {
    await deploy('ep-broken', { fail: 'No module named xgboost: sudo apt-get install -y python3-xgboost' });
    expect(await settled('ep-broken')).toMatchObject({ EndpointStatus: 'Failed', FailureReason: 'No module named xgboost: sudo apt-get install -y python3-xgboost' });
  });

  it('fails a worker where the Python it runs is missing, with the apt-get line that installs it', async () => {
    const worker = new EndpointWorker({ endpoint: 'ep-nopython', python: join(dataDir, 'no-such-python3'), serveScript: join(scriptsDir, 'serve.py'), codeDir: dataDir, modelDir: dataDir, environment: {}, log: () => undefined });
    expect(await worker.start(60_000)).toEqual({ ok: false, reason: `Python 3 is not installed at ${join(dataDir, 'no-such-python3')}, which the local workers run: sudo apt-get install -y python3` });
    expect(worker.running).toBe(false);
  });

  it('a delete while the model is being unpacked waits for it, removes the whole folder, and starts no worker', async () => {
    let open!: () => void;
    gates.set('models/ep-race.tar.gz', new Promise<void>((resolve) => (open = resolve)));
    await deploy('ep-race', { w: [1], b: 0 });
    // The unpack has begun (its folder exists) and waits at the gate.
    for (let attempt = 0; attempt < 600 && !existsSync(join(dataDir, 'endpoints', 'ep-race', 'model')); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const deleting = new SageMakerDeployer(control()).teardown('ep-race');
    // Not answered while the unpack is still under way; then the bytes come.
    await new Promise((resolve) => setTimeout(resolve, 200));
    open();
    await deleting;
    // Whatever the unpack or a worker would still do after the delete shows within these bounded looks.
    const leftovers = () => existsSync(join(dataDir, 'endpoints', 'ep-race')) || lines.some((line) => /^\[ep-race\] (stand-in worker loaded|in service|starting its worker)/.test(line));
    for (let look = 0; look < 40 && !leftovers(); look += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(join(dataDir, 'endpoints', 'ep-race'))).toBe(false);
    expect(lines.filter((line) => line.startsWith('[ep-race]'))).not.toContainEqual(expect.stringMatching(/stand-in worker loaded|in service|starting its worker/));
    await expect(control().send(new DescribeEndpointCommand({ EndpointName: 'ep-race' }))).rejects.toMatchObject({ name: 'ValidationException' });
    gates.delete('models/ep-race.tar.gz');
  });
});
