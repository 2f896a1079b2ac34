import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, json, type JsonReply } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { generateModels, requirePython, type GeneratedModels } from '../support/frameworks/python-worker';
import { runCli } from '../support/run-cli';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

interface DeploymentAnswer { state: string; endpoint: string; framework: string; image: string; memory_mb: number; max_concurrency: number; reason: string | null }

let mlhub: RunningMlhub;
let models: GeneratedModels;
let irisFiles: Record<string, Buffer>;
const api = <T = unknown>(method: string, path: string, init?: Parameters<typeof call>[3]) => call<T>(mlhub.url, method, path, init);
const upload = (name: string, files: Record<string, string | Buffer>) =>
  modelBundle(files).then((body) => api<{ version: number; serving: unknown }>('POST', `/model/${name}/upload`, { body, headers: { 'content-type': 'application/octet-stream' } }));

/** Asks for the deployment until SageMaker (here, the local one) settles it; bounded, never timed. */
async function settled(name: string, version = 1): Promise<JsonReply<DeploymentAnswer>> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const reply = await api<DeploymentAnswer>('GET', `/model/${name}/versions/${version}/deploy`);
    if (reply.status !== 200 || reply.body.state !== 'creating') return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The deployment of ${name} never left creating`);
}

const localEndpoints = async (): Promise<string[]> =>
  Object.keys((JSON.parse(await readFile(join(mlhub.dataDir, 'sagemaker', 'state.json'), 'utf8')) as { endpoints: object }).endpoints);

interface IrisExpected { vector: { input: number[]; output: number[] }; batch: { input: number[][]; outputs: number[][]; labels: string[] } }
let expected: IrisExpected;

beforeAll(async () => {
  // The real worker (functions/frameworks/scripts/serve.py, npm start's default) on a real model.
  requirePython(['sklearn', 'joblib']);
  models = await generateModels(['sklearn']);
  expected = await models.expected<IrisExpected>('iris-logreg');
  const folder = join(models.path, 'iris-logreg');
  irisFiles = { 'model.joblib': await readFile(join(folder, 'model.joblib')), 'labels.txt': await readFile(join(folder, 'labels.txt')) };
  // The predict function's lookup cache is on (its default), as in the cloud: what it remembers must never be stale deployment state.
  mlhub = await startMlhub({ env: { MLHUB_DEPLOY_MAX_PER_USER: '50' } });
}, 120_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  await models?.remove();
});

/** Each value within 1e-5 of scikit-learn's own predict_proba. */
function expectProbabilities(actual: unknown, probabilities: readonly number[]): void {
  expect(actual).toHaveLength(probabilities.length);
  (actual as number[]).forEach((value, i) => expect(Math.abs(value - (probabilities[i] as number))).toBeLessThanOrEqual(1e-5));
}

describe('deploying a version over HTTP, with the local SageMaker and the real worker', () => {

  it('says at upload that a joblib bundle is deployable, and predict says to deploy it', async () => {
    expect((await api('POST', '/model/iris', json({ type: 'scikit-learn' }))).status).toBe(201);
    const uploaded = await upload('iris', irisFiles);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.serving).toEqual({ path: 'deployable', framework: 'sklearn' });
    expectError(await api('POST', '/model/iris/predict', json({ input: expected.vector.input })), 409, 'no_backend', /deploy/);
  });

  it('refuses sizes outside SageMaker serverless and the limits, naming the field', async () => {
    expectError(await api('POST', '/model/iris/versions/1/deploy', json({ memory_mb: 1000 })), 400, 'invalid_body', /memory_mb/);
    expectError(await api('POST', '/model/iris/versions/1/deploy', json({ max_concurrency: 500 })), 400, 'invalid_body', /max_concurrency/);
    expectError(await api('GET', '/model/iris/versions/1/deploy'), 404, 'not_deployed');
  });

  it('deploys once however often it is asked, reaches in_service, and predict runs on the endpoint', async () => {
    const first = await api<DeploymentAnswer>('POST', '/model/iris/versions/1/deploy');
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toBe('/model/iris/versions/1/deploy');
    expect(first.body).toMatchObject({ state: 'creating', framework: 'sklearn', memory_mb: 3072, max_concurrency: 2, reason: null });
    expect(first.body.endpoint).toMatch(/^mlhub-deploy-iris-v1-[0-9a-f]{10}$/);
    expect(first.body.image).toBe('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    const again = await api<DeploymentAnswer>('POST', '/model/iris/versions/1/deploy', json({ memory_mb: 3072 }));
    expect([200, 202]).toContain(again.status);
    expect(again.body.endpoint).toBe(first.body.endpoint);
    // Other settings are not silently ignored: the answer says what the deployment has.
    expectError(await api('POST', '/model/iris/versions/1/deploy', json({ memory_mb: 1024 })), 409, 'deployment_exists', /deployed already with memory_mb 3072 and max_concurrency 2/);
    const done = await settled('iris');
    expect(done.body).toMatchObject({ state: 'in_service', endpoint: first.body.endpoint, reason: null });
    expect(await localEndpoints()).toEqual([first.body.endpoint]);
    const predicted = await api<{ predictions: { output: number[]; label: string }[] }>('POST', '/model/iris/predict', json({ input: expected.batch.input }));
    expect(predicted.status, JSON.stringify(predicted.body)).toBe(200);
    predicted.body.predictions.forEach((prediction, i) => expectProbabilities(prediction.output, expected.batch.outputs[i] as number[]));
    expect(predicted.body.predictions.map((prediction) => prediction.label)).toEqual(expected.batch.labels);
    // The worker's bad-input answer (400) reaches the caller as the input's fault, not the server's.
    expectError(await api('POST', '/model/iris/predict', json({ input: [1, 2] })), 400, 'invalid_input');
    // The worker's log lines reach MLHub's, prefixed with the endpoint's name.
    expect(mlhub.output()).toMatch(new RegExp(`\\[${first.body.endpoint}\\] \\{.*"event": ?"listening"`));
  });

  it("answers failed with the worker's reason when the model cannot load", async () => {
    expect((await api('POST', '/model/broken', json({ type: 'scikit-learn' }))).status).toBe(201);
    expect((await upload('broken', { 'model.joblib': 'these bytes are no pickle' })).status).toBe(201);
    expect((await api('POST', '/model/broken/versions/1/deploy')).status).toBe(202);
    const failed = await settled('broken');
    expect(failed.body.state).toBe('failed');
    expect(failed.body.reason).toMatch(/pickle cannot be read/);
    expectError(await api('POST', '/model/broken/versions/1/deploy'), 409, 'deployment_failed', /pickle cannot be read/);
  });

  it('undeploys: the endpoint goes, and predict goes back to saying deploy', async () => {
    const deleting = await api<DeploymentAnswer>('DELETE', '/model/iris/versions/1/deploy');
    expect(deleting.status).toBe(202);
    expect(deleting.body.state).toBe('deleting');
    expectError(await api('GET', '/model/iris/versions/1/deploy'), 404, 'not_deployed');
    expect(await localEndpoints()).not.toContain(deleting.body.endpoint);
    expectError(await api('POST', '/model/iris/predict', json({ input: expected.vector.input })), 409, 'no_backend', /deploy/);
    expectError(await api('DELETE', '/model/iris/versions/1/deploy'), 404, 'not_deployed');
  });

  it("deleting a deployed version tears its endpoint down", async () => {
    const deployed = await api<DeploymentAnswer>('POST', '/model/iris/versions/1/deploy');
    expect((await settled('iris')).body.state).toBe('in_service');
    expect(await localEndpoints()).toContain(deployed.body.endpoint);
    expect((await api('DELETE', '/model/iris/versions/1')).status).toBe(200);
    expect(await localEndpoints()).not.toContain(deployed.body.endpoint);
  });

  it('says why a bundle can run nowhere, and refuses to deploy it', async () => {
    expect((await api('POST', '/model/notes', json({ type: 'scikit-learn' }))).status).toBe(201);
    const uploaded = await upload('notes', { 'README.md': 'weights to follow' });
    expect(uploaded.body.serving).toMatchObject({ path: 'none', reason: expect.stringMatching(/no model file of a framework MLHub deploys/) });
    expectError(await api('POST', '/model/notes/versions/1/deploy'), 409, 'not_deployable', /\.joblib/);
  });

  it('mlhub deploy --wait, then predict, then mlhub undeploy', async () => {
    expect((await api('POST', '/model/cli-iris', json({ type: 'scikit-learn' }))).status).toBe(201);
    expect((await upload('cli-iris', irisFiles)).status).toBe(201);
    const env = { MLHUB_CONFIG: join(models.path, 'cli-config.json'), MLHUB_URL: '', MLHUB_TOKEN: '' };
    // mlhub push says which path the version's predictions take.
    const pushed = await runCli(['push', 'cli-pushed', join(models.path, 'iris-logreg'), '--create', 'scikit-learn', '--url', mlhub.url], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/\nserving: deployable \(sklearn\): mlhub deploy runs it on its own endpoint\n?$/);
    const deployed = await runCli(['deploy', 'cli-iris', '--memory', '2048', '--wait', '--url', mlhub.url], env);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/^cli-iris v1 is in service on the SageMaker endpoint mlhub-deploy-cli-iris-v1-[0-9a-f]{10} \(sklearn, 2048 MB, 2 at once\)/);
    // As the example runs it: mlhub predict iris -d '{"input":[…]}'.
    const predicted = await runCli(['predict', 'cli-iris', '-d', JSON.stringify({ input: expected.vector.input }), '--json', '--url', mlhub.url], env);
    expect(predicted.code, predicted.stderr).toBe(0);
    expectProbabilities((JSON.parse(predicted.stdout) as { predictions: { output: number[] }[] }).predictions[0]?.output, expected.vector.output);
    // Without --json it prints the class, as the example expects.
    const printed = await runCli(['predict', 'cli-iris', '-d', JSON.stringify({ input: expected.vector.input }), '--url', mlhub.url], env);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/setosa/);
    const refused = await runCli(['deploy', 'cli-iris', '--memory', '1000', '--url', mlhub.url], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/memory_mb/);
    const undeployed = await runCli(['undeploy', 'cli-iris', '--url', mlhub.url], env);
    expect(undeployed.code, undeployed.stderr).toBe(0);
    expect(undeployed.stdout).toMatch(/^Deleting the endpoint mlhub-deploy-cli-iris-v1-/);
  });

  it('predict settles a deployment itself: a caller who deploys and never GETs it gets predictions once it is in service', async () => {
    expect((await api('POST', '/model/nopoll', json({ type: 'scikit-learn' }))).status).toBe(201);
    expect((await upload('nopoll', irisFiles)).status).toBe(201);
    expect((await api('POST', '/model/nopoll/versions/1/deploy')).status).toBe(202);
    let reply = await api<{ version: number }>('POST', '/model/nopoll/predict', json({ input: expected.vector.input }));
    for (let attempt = 0; attempt < 600 && reply.status === 409; attempt += 1) {
      expectError(reply, 409, 'deployment_not_ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
      reply = await api('POST', '/model/nopoll/predict', json({ input: expected.vector.input }));
    }
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  });

  it('after a push, an unversioned prediction stays on the version in service, and says which version is latest', async () => {
    expect((await upload('nopoll', irisFiles)).status).toBe(201);
    // Never a 409 meanwhile: the predict function may remember the version it used for its lookup cache's few seconds, then names v2 as latest.
    let reply = await api<{ version: number }>('POST', '/model/nopoll/predict', json({ input: expected.vector.input }));
    for (let attempt = 0; attempt < 200 && reply.headers.get('x-mlhub-latest-version') === null; attempt += 1) {
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(reply.body.version).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      reply = await api('POST', '/model/nopoll/predict', json({ input: expected.vector.input }));
    }
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.version).toBe(1);
    expect(reply.headers.get('x-mlhub-latest-version')).toBe('2');
    const env = { MLHUB_CONFIG: join(models.path, 'cli-config.json'), MLHUB_URL: '', MLHUB_TOKEN: '' };
    const printed = await runCli(['predict', 'nopoll', '-d', JSON.stringify({ input: expected.vector.input }), '--url', mlhub.url], env);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toMatch(/Ran on nopoll v1, the latest in service: v2, the latest version, is not in service \(mlhub deploy nopoll --version 2\)/);
    // Named, the new version says it must be deployed.
    expectError(await api('POST', '/model/nopoll/predict?version=2', json({ input: expected.vector.input })), 409, 'no_backend', /deploy/);
  });

  it("an answer over Lambda's 6 MB is a 413 naming the limit and the rows that fit, not a bare 502", async () => {
    const rows = Array.from({ length: 100_000 }, () => expected.vector.input);
    const reply = await api<{ error: { code: string; message: string } }>('POST', '/model/nopoll/predict', json({ input: rows }));
    expectError(reply, 413, 'response_too_large', /6291456-byte response limit\): send at most about \d+ rows per request \(this one had 100000\)/);
    expect(reply.headers.get('x-request-id')).toBeTruthy();
  });

  it('undeploying while predictions run: the next one answers 409, never 502', async () => {
    // The prediction before the undeploy leaves the in-service version in the predict function's memory.
    expect((await api('POST', '/model/nopoll/predict?version=1', json({ input: expected.vector.input }))).status).toBe(200);
    expect((await api('POST', '/model/nopoll/predict', json({ input: expected.vector.input }))).status).toBe(200);
    expect((await api('DELETE', '/model/nopoll/versions/1/deploy')).status).toBe(202);
    for (const path of ['/model/nopoll/predict?version=1', '/model/nopoll/predict']) {
      expectError(await api('POST', path, json({ input: expected.vector.input })), 409, 'no_backend');
    }
  });

  it('caps deployed versions per model (two by default), naming the limit', async () => {
    expect((await api('POST', '/model/capped', json({ type: 'scikit-learn' }))).status).toBe(201);
    for (let i = 0; i < 3; i += 1) expect((await upload('capped', irisFiles)).status).toBe(201);
    expect((await api('POST', '/model/capped/versions/1/deploy')).status).toBe(202);
    expect((await api('POST', '/model/capped/versions/2/deploy')).status).toBe(202);
    expectError(await api('POST', '/model/capped/versions/3/deploy'), 409, 'model_deployment_limit', /has 2 deployed version\(s\).*MLHUB_DEPLOY_MAX_PER_MODEL.*\(capped v1, capped v2\)/);
    expect((await api('DELETE', '/model/capped/versions/1/deploy')).status).toBe(202);
    expect((await api('POST', '/model/capped/versions/3/deploy')).status).toBe(202);
    for (const n of [2, 3]) expect((await api('DELETE', `/model/capped/versions/${n}/deploy`)).status).toBe(202);
  });

  it("refuses a model's meta.backend naming a deployed version's endpoint, on create and on update", async () => {
    const backend = { kind: 'sagemaker', endpoint: 'mlhub-deploy-iris-v1-0123456789', content_type: 'application/json' };
    expectError(await api('POST', '/model/steal', json({ type: 'scikit-learn', meta: { backend } })), 409, 'backend_not_allowed', /mlhub-deploy-iris-v1-0123456789/);
    expect((await api('POST', '/model/steal', json({ type: 'scikit-learn' }))).status).toBe(201);
    expectError(await api('PUT', '/model/steal', json({ meta: { backend: { ...backend, endpoint: 'MLHUB-DEPLOY-iris-v1-0123456789' } } })), 409, 'backend_not_allowed');
  });
});
