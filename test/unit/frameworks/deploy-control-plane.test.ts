import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../functions/errors/app-error';
import { loadDeploySettings } from '../../../functions/frameworks/deploy-settings';
import type { DeploymentSlots } from '../../../functions/frameworks/deployment-slots';
import { DynamoDeploymentSlots } from '../../../functions/frameworks/dynamo-deployment-slots';
import { PredictedVersions } from '../../../functions/frameworks/predicted-versions';
import { SageMakerDeployer } from '../../../functions/frameworks/sagemaker-deployer';
import { VersionDeployments } from '../../../functions/frameworks/version-deployments';
import { userActor } from '../../../functions/identity/actor';
import { LOCAL_S3_CREDENTIALS } from '../../../local/s3-server';
import { startEmbeddedStores, type EmbeddedStores } from '../../support/embedded-stores';
import { modelBundle } from '../../support/inference/bundles';
import { squareModel } from '../../support/inference/test-models';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest, type Reply } from '../../support/inference/protocol-server';

const alice = userActor('alice', 'session');
const bob = userActor('bob', 'session');
const ROLE = 'arn:aws:iam::123456789012:role/mlhub-sagemaker-execution';
const SCRIPTS = { sklearn: 's3://assets/sklearn-abc.tar.gz', pytorch: 's3://assets/pytorch-def.tar.gz' };

interface Call { readonly operation: string; readonly input: Record<string, unknown> }

/**
 * A small SageMaker control plane following the published API (AWS JSON 1.1: POST / with
 * X-Amz-Target `SageMaker.<Operation>`, errors as `__type` and `message`), keeping what it was
 * asked for so the test can assert each call. Endpoints stay Creating until the test settles them.
 */
class FakeSageMaker {
  readonly calls: Call[] = [];
  readonly models = new Map<string, Record<string, unknown>>();
  readonly configs = new Map<string, Record<string, unknown>>();
  readonly endpoints = new Map<string, { status: string; reason?: string }>();

  handle = (request: ReceivedRequest): Reply => {
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(String(request.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/eu-west-1\/sagemaker\/aws4_request/);
    const operation = String(request.headers['x-amz-target']).replace(/^SageMaker\./, '');
    const input = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    this.calls.push({ operation, input });
    const fault = (type: string, message: string): Reply => ({ status: 400, json: { __type: type, message } });
    const arn = (kind: string, name: unknown) => `arn:aws:sagemaker:eu-west-1:123456789012:${kind}/${String(name).toLowerCase()}`;
    switch (operation) {
      case 'CreateModel':
        if (this.models.has(input.ModelName as string)) return fault('ValidationException', `Cannot create already existing model "${arn('model', input.ModelName)}".`);
        this.models.set(input.ModelName as string, input);
        return { json: { ModelArn: arn('model', input.ModelName) } };
      case 'CreateEndpointConfig':
        if (this.configs.has(input.EndpointConfigName as string)) return fault('ValidationException', `Cannot create already existing endpoint configuration "${arn('endpoint-config', input.EndpointConfigName)}".`);
        this.configs.set(input.EndpointConfigName as string, input);
        return { json: { EndpointConfigArn: arn('endpoint-config', input.EndpointConfigName) } };
      case 'CreateEndpoint':
        if (this.endpoints.has(input.EndpointName as string)) return fault('ValidationException', `Cannot create already existing endpoint "${arn('endpoint', input.EndpointName)}".`);
        this.endpoints.set(input.EndpointName as string, { status: 'Creating' });
        return { json: { EndpointArn: arn('endpoint', input.EndpointName) } };
      case 'DescribeEndpoint': {
        const endpoint = this.endpoints.get(input.EndpointName as string);
        if (!endpoint) return fault('ValidationException', `Could not find endpoint "${arn('endpoint', input.EndpointName)}".`);
        return { json: { EndpointName: input.EndpointName, EndpointArn: arn('endpoint', input.EndpointName), EndpointStatus: endpoint.status, CreationTime: 1, LastModifiedTime: 2, ...(endpoint.reason ? { FailureReason: endpoint.reason } : {}) } };
      }
      case 'DeleteEndpoint':
        if (!this.endpoints.delete(input.EndpointName as string)) return fault('ValidationException', `Could not find endpoint "${arn('endpoint', input.EndpointName)}".`);
        return { json: {} };
      case 'DeleteEndpointConfig':
        if (!this.configs.delete(input.EndpointConfigName as string)) return fault('ValidationException', `Could not find endpoint configuration "${arn('endpoint-config', input.EndpointConfigName)}".`);
        return { json: {} };
      case 'DeleteModel':
        if (!this.models.delete(input.ModelName as string)) return fault('ValidationException', `Could not find model "${arn('model', input.ModelName)}".`);
        return { json: {} };
      default:
        return fault('UnknownOperationException', operation);
    }
  };

  operations(): string[] {
    return this.calls.map((call) => call.operation);
  }
}

let stores: EmbeddedStores;
let server: ProtocolServer;
let fake: FakeSageMaker;
let deployments: VersionDeployments;

const failure = async (promise: Promise<unknown>): Promise<AppError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

async function readyModel(name: string, files: Record<string, string>): Promise<void> {
  await stores.registry.createModel(alice, name, { type: 'scikit-learn' });
  const version = await stores.direct.addVersion(alice, name, { bytes: await modelBundle(files) });
  expect(version.status).toBe('ready');
}

beforeAll(async () => {
  stores = await startEmbeddedStores();
  server = await startProtocolServer((request) => fake.handle(request));
  const client = new SageMakerClient({ endpoint: server.url, region: 'eu-west-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });
  deployments = new VersionDeployments({
    models: stores.models,
    versions: stores.versionStore,
    deployer: new SageMakerDeployer(client),
    slots: new DynamoDeploymentSlots(stores.documents, stores.tableName),
    settings: loadDeploySettings({ MLHUB_ALLOW_MODEL_CODE: '1', MLHUB_DEPLOY_ROLE_ARN: ROLE, MLHUB_DEPLOY_SCRIPTS: JSON.stringify(SCRIPTS), AWS_REGION: 'eu-west-1', MLHUB_DEPLOY_MAX_MEMORY_MB: '4096', MLHUB_DEPLOY_MAX_CONCURRENCY: '5', MLHUB_DEPLOY_MAX_PER_USER: '1000' }),
    bucket: stores.bucket,
  });
});

beforeEach(() => {
  fake = new FakeSageMaker();
});

afterAll(async () => {
  await server?.close();
  await stores?.close();
});

describe("deploying against SageMaker's control plane", () => {
  it('creates the model (image, data URL, environment, network isolation, role), a serverless configuration and the endpoint', async () => {
    await readyModel('cp-iris', { 'model.joblib': 'pickle bytes' });
    const version = await stores.versionStore.get('cp-iris', 1);
    const { deployment, created } = await deployments.deploy(alice, 'cp-iris', 1, { memory_mb: 2048, max_concurrency: 3 });
    expect(created).toBe(true);
    expect(fake.operations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
    const [model, config, endpoint] = fake.calls.map((call) => call.input);
    expect(model).toEqual({
      ModelName: deployment.endpoint,
      ExecutionRoleArn: ROLE,
      EnableNetworkIsolation: true,
      PrimaryContainer: {
        Image: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
        ModelDataUrl: `s3://${stores.bucket}/${version?.bundleKey}`,
        // Network isolation keeps the container from S3: SageMaker itself brings the scripts in as a channel.
        AdditionalModelDataSources: [{ ChannelName: 'mlhub-scripts', S3DataSource: { S3Uri: SCRIPTS.sklearn, S3DataType: 'S3Object', CompressionType: 'Gzip' } }],
        Environment: {
          SAGEMAKER_PROGRAM: 'inference.py',
          SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/additional-model-data-sources/mlhub-scripts',
          PYTHONPATH: '/opt/ml/additional-model-data-sources/mlhub-scripts',
          MLHUB_ALLOW_MODEL_CODE: '1',
          MLHUB_ALLOW_PICKLES: '1',
        },
      },
    });
    expect(config).toEqual({
      EndpointConfigName: deployment.endpoint,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: deployment.endpoint, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 3 } }],
    });
    expect(endpoint).toEqual({ EndpointName: deployment.endpoint, EndpointConfigName: deployment.endpoint });
    expect(deployment.endpoint).toMatch(/^mlhub-deploy-cp-iris-v1-[0-9a-f]{10}$/);
    expect((await stores.versionStore.get('cp-iris', 1))?.deployment).toMatchObject({ state: 'creating', endpoint: deployment.endpoint, memoryMb: 2048, maxConcurrency: 3 });
  });

  it('a repeated request finishes the first and never creates a second endpoint', async () => {
    await readyModel('cp-retry', { 'model.joblib': 'x' });
    const first = await deployments.deploy(alice, 'cp-retry', 1, {});
    const second = await deployments.deploy(alice, 'cp-retry', 1, { memory_mb: 3072 });
    expect(second).toEqual({ deployment: first.deployment, created: false });
    // The second request makes the calls again (in case the first stopped half-way): SageMaker says each exists.
    expect(fake.operations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint', 'CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
    expect([...fake.endpoints.keys()]).toEqual([first.deployment.endpoint]);
  });

  it("reads SageMaker's state while creating: in service, or failed with its FailureReason", async () => {
    await readyModel('cp-state', { 'model.joblib': 'x' });
    const { deployment } = await deployments.deploy(alice, 'cp-state', 1, {});
    expect((await failure(deployments.status(bob, 'cp-state', 1))).code).toBe('model_not_found');
    expect((await deployments.status(alice, 'cp-state', 1)).state).toBe('creating');
    fake.endpoints.set(deployment.endpoint, { status: 'Failed', reason: "ClientError: Failed to download model data (bucket: mlhub, key: models/x): access denied" });
    const failed = await deployments.status(alice, 'cp-state', 1);
    expect(failed).toMatchObject({ state: 'failed', reason: "ClientError: Failed to download model data (bucket: mlhub, key: models/x): access denied" });
    // Settled: no more DescribeEndpoint calls.
    const described = fake.operations().filter((operation) => operation === 'DescribeEndpoint').length;
    await deployments.status(alice, 'cp-state', 1);
    expect(fake.operations().filter((operation) => operation === 'DescribeEndpoint').length).toBe(described);
    expect((await failure(deployments.deploy(alice, 'cp-state', 1, {}))).code).toBe('deployment_failed');
  });

  it('deletes the endpoint, its configuration and its model; twice is fine; GET then says not deployed', async () => {
    await readyModel('cp-delete', { 'model.joblib': 'x' });
    const { deployment } = await deployments.deploy(alice, 'cp-delete', 1, {});
    fake.endpoints.set(deployment.endpoint, { status: 'InService' });
    expect((await deployments.status(alice, 'cp-delete', 1)).state).toBe('in_service');
    expect((await failure(deployments.undeploy(bob, 'cp-delete', 1))).code).toBe('model_not_found');
    fake.calls.length = 0;
    expect((await deployments.undeploy(alice, 'cp-delete', 1)).state).toBe('deleting');
    expect(fake.calls).toEqual([
      { operation: 'DeleteEndpoint', input: { EndpointName: deployment.endpoint } },
      { operation: 'DeleteEndpointConfig', input: { EndpointConfigName: deployment.endpoint } },
      { operation: 'DeleteModel', input: { ModelName: deployment.endpoint } },
    ]);
    expect(fake.models.size + fake.configs.size + fake.endpoints.size).toBe(0);
    expect((await deployments.undeploy(alice, 'cp-delete', 1)).state).toBe('deleting');
    expect((await failure(deployments.status(alice, 'cp-delete', 1))).code).toBe('not_deployed');
    expect((await stores.versionStore.get('cp-delete', 1))?.deployment).toBeUndefined();
  });

  it("refuses sizes outside SageMaker's and the stack's limits, and bundles nothing can deploy, before calling SageMaker", async () => {
    await readyModel('cp-limits', { 'model.joblib': 'x' });
    expect((await failure(deployments.deploy(alice, 'cp-limits', 1, { memory_mb: 6144 }))).message).toMatch(/memory_mb must be one of 1024, 2048, 3072, 4096/);
    expect((await failure(deployments.deploy(alice, 'cp-limits', 1, { max_concurrency: 6 }))).message).toMatch(/max_concurrency must be a whole number from 1 to 5/);
    await readyModel('cp-none', { 'notes.txt': 'x' });
    expect((await failure(deployments.deploy(alice, 'cp-none', 1, {}))).code).toBe('not_deployable');
    expect((await failure(deployments.deploy(bob, 'cp-limits', 1, {}))).code).toBe('model_not_found');
    expect(fake.calls).toEqual([]);
  });

  it("records SageMaker's refusal as failed, with its message", async () => {
    await readyModel('cp-refused', { 'model.joblib': 'x' });
    const limited = await startProtocolServer(() => ({ status: 400, json: { __type: 'ResourceLimitExceeded', message: 'The account-level service limit for serverless endpoints is 0' } }));
    const refusing = new VersionDeployments({
      models: stores.models, versions: stores.versionStore, bucket: stores.bucket, slots: new DynamoDeploymentSlots(stores.documents, stores.tableName),
      deployer: new SageMakerDeployer(new SageMakerClient({ endpoint: limited.url, region: 'eu-west-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 })),
      settings: loadDeploySettings({ MLHUB_ALLOW_MODEL_CODE: '1', MLHUB_DEPLOY_ROLE_ARN: ROLE, MLHUB_DEPLOY_SCRIPTS: JSON.stringify(SCRIPTS), AWS_REGION: 'eu-west-1' }),
    });
    const error = await failure(refusing.deploy(alice, 'cp-refused', 1, {}));
    await limited.close();
    expect(error.code).toBe('deploy_failed');
    expect(error.message).toBe('SageMaker CreateModel failed: ResourceLimitExceeded: The account-level service limit for serverless endpoints is 0');
    expect((await stores.versionStore.get('cp-refused', 1))?.deployment).toMatchObject({ state: 'failed', reason: error.message });
  });

  it('refuses a repeated request for other settings with deployment_exists and the current ones, and creates nothing', async () => {
    await readyModel('cp-resize', { 'model.joblib': 'x' });
    const first = await deployments.deploy(alice, 'cp-resize', 1, { memory_mb: 2048 });
    fake.calls.length = 0;
    const refused = await failure(deployments.deploy(alice, 'cp-resize', 1, { memory_mb: 1024 }));
    expect(refused.code).toBe('deployment_exists');
    expect(refused.message).toMatch(/deployed already with memory_mb 2048 and max_concurrency 2/);
    expect(first.deployment.memoryMb).toBe(2048);
    expect((await failure(deployments.deploy(alice, 'cp-resize', 1, { max_concurrency: 4 }))).code).toBe('deployment_exists');
    expect(fake.operations()).toEqual([]);
    // The same settings, or none, get the deployment back.
    expect((await deployments.deploy(alice, 'cp-resize', 1, { memory_mb: 2048, max_concurrency: 2 })).created).toBe(false);
  });

  it('says a version the built-in runtime serves needs no deploy, instead of claiming it has no .onnx file', async () => {
    await stores.registry.createModel(alice, 'cp-onnx', { type: 'onnx' });
    const version = await stores.direct.addVersion(alice, 'cp-onnx', { bytes: await modelBundle({ 'model.onnx': squareModel() }) });
    expect(version.manifest?.builtinRuntime?.runnable).toBe(true);
    const refused = await failure(deployments.deploy(alice, 'cp-onnx', 1, {}));
    expect(refused.code).toBe('not_deployable');
    expect(refused.message).toMatch(/built-in ONNX Runtime and needs no deploy/);
    expect(refused.message).not.toMatch(/no \.onnx file/);
  });

  it('caps deployed versions per model and per user, naming the limit, and gives a slot back on undeploy', async () => {
    const capped = new VersionDeployments({
      models: stores.models, versions: stores.versionStore, bucket: stores.bucket, slots: new DynamoDeploymentSlots(stores.documents, stores.tableName),
      deployer: new SageMakerDeployer(new SageMakerClient({ endpoint: server.url, region: 'eu-west-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 })),
      settings: loadDeploySettings({ MLHUB_ALLOW_MODEL_CODE: '1', MLHUB_DEPLOY_ROLE_ARN: ROLE, MLHUB_DEPLOY_SCRIPTS: JSON.stringify(SCRIPTS), AWS_REGION: 'eu-west-1', MLHUB_DEPLOY_MAX_PER_USER: '3' }),
    });
    const carol = userActor('carol', 'session');
    await stores.registry.createModel(carol, 'cap-a', { type: 'scikit-learn' });
    for (let i = 0; i < 3; i += 1) await stores.direct.addVersion(carol, 'cap-a', { bytes: await modelBundle({ 'model.joblib': `x${i}` }) });
    expect((await capped.deploy(carol, 'cap-a', 1, {})).created).toBe(true);
    expect((await capped.deploy(carol, 'cap-a', 2, {})).created).toBe(true);
    const perModel = await failure(capped.deploy(carol, 'cap-a', 3, {}));
    expect(perModel.code).toBe('model_deployment_limit');
    expect(perModel.message).toMatch(/MLHUB_DEPLOY_MAX_PER_MODEL/);
    expect(perModel.message).toMatch(/has 2 deployed version\(s\).*\(cap-a v1, cap-a v2\)/);
    expect((await stores.versionStore.get('cap-a', 3))?.deployment).toBeUndefined();
    // Two deploys racing for the last slot of a user: one wins.
    await stores.registry.createModel(carol, 'cap-b', { type: 'scikit-learn' });
    await stores.registry.createModel(carol, 'cap-c', { type: 'scikit-learn' });
    await stores.direct.addVersion(carol, 'cap-b', { bytes: await modelBundle({ 'model.joblib': 'b' }) });
    await stores.direct.addVersion(carol, 'cap-c', { bytes: await modelBundle({ 'model.joblib': 'c' }) });
    const raced = await Promise.allSettled([capped.deploy(carol, 'cap-b', 1, {}), capped.deploy(carol, 'cap-c', 1, {})]);
    expect(raced.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const lost = raced.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as AppError).code).toBe('user_deployment_limit');
    expect((lost.reason as AppError).message).toMatch(/MLHUB_DEPLOY_MAX_PER_USER/);
    // Undeploying gives the slots back: the version refused before now deploys.
    await capped.undeploy(carol, 'cap-a', 1);
    expect((await capped.deploy(carol, 'cap-a', 3, {})).created).toBe(true);
  });
});

describe('deploys racing for the caps (review 14b finding 2)', () => {
  /**
   * Slots whose first deploy of `version` stops right after taking its slot under `holder`, until
   * the others have finished: the moment a concurrent deploy, finding the cap full, checks
   * whether that slot is stale.
   */
  function pausingSlots(version: number, holderKind: 'model' | 'owner'): { slots: DeploymentSlots; others: (done: Promise<unknown>) => void } {
    const inner = new DynamoDeploymentSlots(stores.documents, stores.tableName);
    let release: Promise<unknown> = Promise.resolve();
    let paused = false;
    const slots: DeploymentSlots = {
      take: async (holder, slot, cap) => {
        const outcome = await inner.take(holder, slot, cap);
        if (!paused && slot.version === version && holderKind in holder && outcome === 'taken') {
          paused = true;
          await release.catch(() => undefined);
        }
        return outcome;
      },
      release: (holder, slot) => inner.release(holder, slot),
      held: (holder) => inner.held(holder),
    };
    return { slots, others: (done) => { release = done; } };
  }

  const capped = (slots: DeploymentSlots, env: Record<string, string>) => new VersionDeployments({
    models: stores.models, versions: stores.versionStore, bucket: stores.bucket, slots,
    deployer: new SageMakerDeployer(new SageMakerClient({ endpoint: server.url, region: 'eu-west-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 })),
    settings: loadDeploySettings({ MLHUB_ALLOW_MODEL_CODE: '1', MLHUB_DEPLOY_ROLE_ARN: ROLE, MLHUB_DEPLOY_SCRIPTS: JSON.stringify(SCRIPTS), AWS_REGION: 'eu-west-1', ...env }),
  });

  it('never frees the slot of a deploy still in progress: the per-model cap holds', async () => {
    const dave = userActor('dave', 'session');
    await stores.registry.createModel(dave, 'race-model', { type: 'scikit-learn' });
    for (let i = 0; i < 3; i += 1) await stores.direct.addVersion(dave, 'race-model', { bytes: await modelBundle({ 'model.joblib': `m${i}` }) });
    const { slots, others } = pausingSlots(1, 'model');
    const deploys = capped(slots, { MLHUB_DEPLOY_MAX_PER_MODEL: '2' });
    let finishOthers!: () => void;
    others(new Promise<void>((resolve) => { finishOthers = resolve; }));
    const first = deploys.deploy(dave, 'race-model', 1, {});
    // v1 holds its slot and is paused; v2 and v3 now deploy, and the cap of 2 has room for one of them.
    await new Promise((resolve) => setImmediate(resolve));
    while (!(await slots.held({ model: 'race-model' })).some((slot) => slot.version === 1)) await new Promise((resolve) => setImmediate(resolve));
    const rest = await Promise.allSettled([deploys.deploy(dave, 'race-model', 2, {}), deploys.deploy(dave, 'race-model', 3, {})]);
    finishOthers();
    const all = [await Promise.allSettled([first]).then(([outcome]) => outcome!), ...rest];
    expect(all.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    for (const lost of all.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')) expect((lost.reason as AppError).code).toBe('model_deployment_limit');
    const withDeployment = [];
    for (let n = 1; n <= 3; n += 1) if ((await stores.versionStore.get('race-model', n))?.deployment) withDeployment.push(n);
    expect(withDeployment).toHaveLength(2);
    expect(fake.endpoints.size).toBe(2);
  });

  it("never frees the slot of a deploy still in progress: the per-user cap holds over the user's models", async () => {
    const erin = userActor('erin', 'session');
    for (let i = 0; i < 3; i += 1) {
      await stores.registry.createModel(erin, `race-user-${i}`, { type: 'scikit-learn' });
      await stores.direct.addVersion(erin, `race-user-${i}`, { bytes: await modelBundle({ 'model.joblib': `u${i}` }) });
    }
    const { slots, others } = pausingSlots(1, 'owner');
    const deploys = capped(slots, { MLHUB_DEPLOY_MAX_PER_USER: '2' });
    let finishOthers!: () => void;
    others(new Promise<void>((resolve) => { finishOthers = resolve; }));
    const first = deploys.deploy(erin, 'race-user-0', 1, {});
    while (!(await slots.held({ owner: 'erin' })).length) await new Promise((resolve) => setImmediate(resolve));
    const rest = await Promise.allSettled([deploys.deploy(erin, 'race-user-1', 1, {}), deploys.deploy(erin, 'race-user-2', 1, {})]);
    finishOthers();
    const all = [await Promise.allSettled([first]).then(([outcome]) => outcome!), ...rest];
    expect(all.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(fake.endpoints.size).toBe(2);
  });

  it('lets exactly the cap of many deploys at once through', async () => {
    const fay = userActor('fay', 'session');
    await stores.registry.createModel(fay, 'race-many', { type: 'scikit-learn' });
    for (let i = 0; i < 5; i += 1) await stores.direct.addVersion(fay, 'race-many', { bytes: await modelBundle({ 'model.joblib': `f${i}` }) });
    const deploys = capped(new DynamoDeploymentSlots(stores.documents, stores.tableName), { MLHUB_DEPLOY_MAX_PER_MODEL: '2' });
    const raced = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => deploys.deploy(fay, 'race-many', n, {})));
    expect(raced.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(fake.endpoints.size).toBe(2);
  });
});

describe('deploying again after an undeploy (review 14b finding 15)', () => {
  it('settles the deleting deployment itself and deploys, with no GET in between', async () => {
    await readyModel('cp-redeploy', { 'model.joblib': 'x' });
    const first = await deployments.deploy(alice, 'cp-redeploy', 1, {});
    fake.endpoints.set(first.deployment.endpoint, { status: 'InService' });
    await deployments.undeploy(alice, 'cp-redeploy', 1);
    expect((await stores.versionStore.get('cp-redeploy', 1))?.deployment?.state).toBe('deleting');
    const again = await deployments.deploy(alice, 'cp-redeploy', 1, {});
    expect(again.created).toBe(true);
    expect(again.deployment.state).toBe('creating');
  });

  it('still answers deployment_deleting while SageMaker has the endpoint', async () => {
    await readyModel('cp-redeploy-slow', { 'model.joblib': 'x' });
    const first = await deployments.deploy(alice, 'cp-redeploy-slow', 1, {});
    await deployments.undeploy(alice, 'cp-redeploy-slow', 1);
    fake.endpoints.set(first.deployment.endpoint, { status: 'Deleting' });
    expect((await failure(deployments.deploy(alice, 'cp-redeploy-slow', 1, {}))).code).toBe('deployment_deleting');
  });
});

describe('model code the operator has not allowed (review 14b findings 10 and 11)', () => {
  const under = (env: Record<string, string>) => new VersionDeployments({
    models: stores.models, versions: stores.versionStore, bucket: stores.bucket, slots: new DynamoDeploymentSlots(stores.documents, stores.tableName),
    deployer: new SageMakerDeployer(new SageMakerClient({ endpoint: server.url, region: 'eu-west-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 })),
    settings: loadDeploySettings({ MLHUB_DEPLOY_ROLE_ARN: ROLE, MLHUB_DEPLOY_SCRIPTS: JSON.stringify(SCRIPTS), AWS_REGION: 'eu-west-1', MLHUB_DEPLOY_MAX_PER_USER: '1000', ...env }),
  });

  it('locally (workers share MLHub\'s rights) refuses TorchScript and pickles up front, naming MLHUB_ALLOW_MODEL_CODE, and creates nothing', async () => {
    await readyModel('mc-torch', { 'model.pt': 'x', 'params.json': JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }] }) });
    await readyModel('mc-pickle', { 'model.joblib': 'x' });
    const local = under({ MLHUB_ALLOW_MODEL_CODE: '0', MLHUB_DEPLOY_LOCAL_WORKERS: '1' });
    for (const name of ['mc-torch', 'mc-pickle']) {
      const refused = await failure(local.deploy(alice, name, 1, {}));
      expect(refused.code).toBe('not_deployable');
      expect(refused.kind).toBe('conflict');
      expect(refused.message).toMatch(/MLHUB_ALLOW_MODEL_CODE=1/);
      expect((await stores.versionStore.get(name, 1))?.deployment).toBeUndefined();
    }
    expect(fake.calls).toEqual([]);
    // The earlier name still turns it on.
    expect((await under({ MLHUB_ALLOW_PICKLES: '1', MLHUB_DEPLOY_LOCAL_WORKERS: '1' }).deploy(alice, 'mc-torch', 1, {})).created).toBe(true);
  });

  it('in the cloud (isolated containers) refuses only pickles, naming endpointPickles', async () => {
    await readyModel('mc-cloud-pickle', { 'model.joblib': 'x' });
    await readyModel('mc-cloud-torch', { 'model.pt': 'x', 'params.json': JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }] }) });
    const cloud = under({ MLHUB_ALLOW_PICKLES: '0' });
    const refused = await failure(cloud.deploy(alice, 'mc-cloud-pickle', 1, {}));
    expect(refused.code).toBe('not_deployable');
    expect(refused.message).toMatch(/endpointPickles/);
    expect((await cloud.deploy(alice, 'mc-cloud-torch', 1, {})).created).toBe(true);
  });
});

describe('a deploy racing its undeploy', () => {
  it('deletes the endpoint SageMaker created after the undeploy had already deleted it', async () => {
    await readyModel('cp-race', { 'model.joblib': 'x' });
    const client = new SageMakerClient({ endpoint: server.url, region: 'eu-west-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });
    /** The undeploy runs (and finds nothing to delete at SageMaker) just before the deploy's CreateModel. */
    class UndeployFirst extends SageMakerDeployer {
      override async create(plan: Parameters<SageMakerDeployer['create']>[0]): Promise<void> {
        await racing.undeploy(alice, 'cp-race', 1);
        return super.create(plan);
      }
    }
    const racing: VersionDeployments = new VersionDeployments({
      models: stores.models, versions: stores.versionStore, bucket: stores.bucket, slots: new DynamoDeploymentSlots(stores.documents, stores.tableName),
      deployer: new UndeployFirst(client),
      settings: loadDeploySettings({ MLHUB_ALLOW_MODEL_CODE: '1', MLHUB_DEPLOY_ROLE_ARN: ROLE, MLHUB_DEPLOY_SCRIPTS: JSON.stringify(SCRIPTS), AWS_REGION: 'eu-west-1', MLHUB_DEPLOY_MAX_PER_USER: '1000' }),
    });
    expect((await failure(racing.deploy(alice, 'cp-race', 1, {}))).code).toBe('deployment_deleting');
    expect(fake.models.size + fake.configs.size + fake.endpoints.size).toBe(0);
  });
});

describe('the version a prediction runs on', () => {
  const predicted = (needsDeployment = true) => new PredictedVersions({
    readyVersion: (actor, name, requested) => stores.versions.readyVersion(actor, name, requested),
    versions: stores.versionStore,
    deployer: new SageMakerDeployer(new SageMakerClient({ endpoint: server.url, region: 'eu-west-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 })),
    needsDeployment: () => needsDeployment,
    now: () => new Date(),
  });

  it('settles a creating deployment itself (DescribeEndpoint), with no GET …/deploy', async () => {
    await readyModel('pv-settle', { 'model.joblib': 'x' });
    const { deployment } = await deployments.deploy(alice, 'pv-settle', 1, {});
    expect((await predicted().lookup(alice, 'pv-settle')).version.deployment?.state).toBe('creating');
    fake.endpoints.set(deployment.endpoint, { status: 'InService' });
    expect((await predicted().lookup(alice, 'pv-settle')).version.deployment?.state).toBe('in_service');
    expect((await stores.versionStore.get('pv-settle', 1))?.deployment?.state).toBe('in_service');
  });

  it('runs an unversioned prediction on the latest version in service when the latest ready one is not deployed, and says which was latest', async () => {
    await readyModel('pv-push', { 'model.joblib': 'x' });
    const { deployment } = await deployments.deploy(alice, 'pv-push', 1, {});
    fake.endpoints.set(deployment.endpoint, { status: 'InService' });
    await stores.direct.addVersion(alice, 'pv-push', { bytes: await modelBundle({ 'model.joblib': 'y' }) });
    const found = await predicted().lookup(alice, 'pv-push');
    expect(found.version.version).toBe(1);
    expect(found.latest).toBe(2);
    // Named, the version is the one named; and a latest version that runs without a deploy is used as it is.
    expect((await predicted().lookup(alice, 'pv-push', 2)).version.version).toBe(2);
    expect((await predicted(false).lookup(alice, 'pv-push')).version.version).toBe(2);
    // Once v2 is in service it is the one.
    const second = await deployments.deploy(alice, 'pv-push', 2, {});
    expect((await predicted().lookup(alice, 'pv-push')).version.version).toBe(1);
    fake.endpoints.set(second.deployment.endpoint, { status: 'InService' });
    const now = await predicted().lookup(alice, 'pv-push');
    expect(now.version.version).toBe(2);
    expect(now.latest).toBeUndefined();
  });
});
