import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json, type JsonReply } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { generateModels, requirePython, type GeneratedModels } from '../support/frameworks/python-worker';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/**
 * The whole path with real models and the real scripts (functions/frameworks/scripts/, npm start's
 * default): models made by Debian's Python (scripts/make-framework-models.py, once), pushed as
 * bundles over HTTP, deployed to the local SageMaker, whose workers run serve.py and inference.py,
 * and predicted through MLHub's predict routes, against the outputs the same frameworks computed.
 */

interface Prediction { output?: unknown; label?: string; probability?: number }
interface PredictAnswer { model: string; version: number; predictions: Prediction[] }
interface Expected {
  labels: string[];
  vector: { input: number[]; output: number[] };
  batch: { input: number[][]; outputs: number[][]; labels?: string[] };
  image?: { files: string[]; output: number[] };
}
interface MaliciousCases { cases: { file: string; marker: string; imports: string }[] }

const TOLERANCE = 1e-5;

let mlhub: RunningMlhub;
let models: GeneratedModels;
const api = <T = unknown>(method: string, path: string, init?: Parameters<typeof call>[3]) => call<T>(mlhub.url, method, path, init);

/** Every file of a generated model folder, as a bundle in the TFaaS layout (one top folder). */
async function bundleOf(folder: string, rename: Record<string, string> = {}): Promise<Buffer> {
  const files: Record<string, Buffer> = {};
  for (const name of await readdir(join(models.path, folder))) files[rename[name] ?? name] = await readFile(join(models.path, folder, name));
  return modelBundle(files, folder);
}

/** Creates the model, uploads its bundle and deploys version 1; answers the settled deployment. */
async function pushAndDeploy(name: string, type: string, bundle: Buffer): Promise<JsonReply<{ state: string; reason: string | null; framework: string }>> {
  expect((await api('POST', `/model/${name}`, json({ type }))).status).toBe(201);
  const uploaded = await api<{ serving: { path: string }; framework: string | null }>('POST', `/model/${name}/upload`, { body: bundle, headers: { 'content-type': 'application/octet-stream' } });
  expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
  expect(uploaded.body.serving.path).toBe('deployable');
  // The bundle's framework, as the upload answer names it, is the type each of these is declared as.
  expect(uploaded.body.framework).toBe(type);
  expect((await api('POST', `/model/${name}/versions/1/deploy`)).status).toBe(202);
  // Bounded by attempts, never by time: the worker answers /ping once the model is loaded.
  for (let attempt = 0; attempt < 1200; attempt += 1) {
    const reply = await api<{ state: string; reason: string | null; framework: string }>('GET', `/model/${name}/versions/1/deploy`);
    if (reply.status !== 200 || reply.body.state !== 'creating') return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The deployment of ${name} never left creating`);
}

const predict = (name: string, input: unknown) => api<PredictAnswer>('POST', `/model/${name}/predict`, json({ input }));

function expectClose(actual: unknown, expected: readonly number[]): void {
  expect(Array.isArray(actual), JSON.stringify(actual)).toBe(true);
  const values = (actual as unknown[]).flat(Infinity) as number[];
  expect(values).toHaveLength(expected.length);
  values.forEach((value, i) => expect(Math.abs(value - (expected[i] as number)), `value ${i}: ${value} vs ${expected[i]}`).toBeLessThanOrEqual(TOLERANCE));
}

beforeAll(async () => {
  requirePython(['sklearn', 'xgboost', 'torch', 'joblib']);
  models = await generateModels(['sklearn', 'xgboost', 'pytorch', 'malicious']);
  // Predictions look the version up anew each time, so the one after a deploy sees its endpoint.
  // Each case deploys a model of the one dev user: more than the per-user cap's default of 5.
  mlhub = await startMlhub({ env: { MLHUB_PREDICT_LOOKUP_CACHE_MS: '0', MLHUB_DEPLOY_MAX_PER_USER: '50' } });
}, 120_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  await models?.remove();
});

describe('real framework models, deployed to the local SageMaker and predicted over HTTP', () => {
  for (const [name, folder, type, framework] of [
    ['iris-logreg', 'iris-logreg', 'ScikitLearn', 'sklearn'],
    ['iris-forest', 'iris-forest', 'ScikitLearn', 'sklearn'],
    ['iris-xgboost', 'iris-xgboost', 'XGBoost', 'xgboost'],
  ] as const) {
    it(`${name}: a vector and a batch match ${framework}'s own outputs, labelled from labels.txt`, async () => {
      const expected = await models.expected<Expected>(name);
      const deployed = await pushAndDeploy(name, type, await bundleOf(folder));
      expect(deployed.body, JSON.stringify(deployed.body)).toMatchObject({ state: 'in_service', framework });
      const one = await predict(name, expected.vector.input);
      expect(one.status, JSON.stringify(one.body)).toBe(200);
      expect(one.body.predictions).toHaveLength(1);
      expectClose(one.body.predictions[0]?.output, expected.vector.output);
      expect(one.body.predictions[0]?.label).toBe('setosa');
      const batch = await predict(name, expected.batch.input);
      expect(batch.status, JSON.stringify(batch.body)).toBe(200);
      expect(batch.body.predictions).toHaveLength(expected.batch.outputs.length);
      batch.body.predictions.forEach((prediction, i) => expectClose(prediction.output, expected.batch.outputs[i] as number[]));
      expect(batch.body.predictions.map((prediction) => prediction.label)).toEqual(expected.batch.labels);
    });
  }

  it("labels a scikit-learn model's predictions from its classes_ when the bundle has no labels.txt", async () => {
    const expected = await models.expected<Expected>('iris-named');
    expect((await pushAndDeploy('iris-named', 'ScikitLearn', await bundleOf('iris-named'))).body.state).toBe('in_service');
    const batch = await predict('iris-named', expected.batch.input);
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    batch.body.predictions.forEach((prediction, i) => expectClose(prediction.output, expected.batch.outputs[i] as number[]));
    expect(batch.body.predictions.map((prediction) => prediction.label)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(batch.body.predictions[0]?.probability).toBeCloseTo(expected.batch.outputs[0]![0]!, 5);
  });

  it('labels.txt wins over the classes_ the script answers', async () => {
    const expected = await models.expected<Expected>('iris-named');
    const files: Record<string, Buffer | string> = { 'model.joblib': await readFile(join(models.path, 'iris-named', 'model.joblib')), 'labels.txt': 'first\nsecond\nthird\n' };
    expect((await pushAndDeploy('iris-relabelled', 'ScikitLearn', await modelBundle(files, 'iris-relabelled'))).body.state).toBe('in_service');
    const batch = await predict('iris-relabelled', expected.batch.input);
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    expect(batch.body.predictions.map((prediction) => prediction.label)).toEqual(['first', 'second', 'third']);
  });

  it("says the worker's own message when it refuses the input", async () => {
    const reply = await predict('iris-logreg', [1, 2]);
    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    const message = (reply.body as unknown as { error: { code: string; message: string } }).error;
    expect(message.code).toBe('invalid_input');
    // The worker's JSON message, not SageMaker's wrapping of it ("Received client error (400) from primary…").
    expect(message.message).not.toMatch(/Received client error|\{"error"/);
    expect(message.message).toBe('The sagemaker backend rejected the input: This scikit-learn model takes 4 features per row; got 2');
  });

  it('mnist-cnn (TorchScript): a vector, a batch, and the seed\'s image form match torch\'s own logits', async () => {
    const expected = await models.expected<Expected>('mnist-cnn');
    expect((await pushAndDeploy('mnist-cnn', 'PyTorch', await bundleOf('mnist-cnn'))).body).toMatchObject({ state: 'in_service', framework: 'pytorch' });
    const one = await predict('mnist-cnn', expected.vector.input);
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expectClose(one.body.predictions[0]?.output, expected.vector.output);
    expect(expected.labels).toContain(one.body.predictions[0]?.label);
    const batch = await predict('mnist-cnn', expected.batch.input);
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    expect(batch.body.predictions).toHaveLength(2);
    batch.body.predictions.forEach((prediction, i) => expectClose(prediction.output, expected.batch.outputs[i] as number[]));
    // As the seed's curl does it: curl http://…/model/mnist-cnn -F 'image=@./digit.png'.
    for (const file of expected.image!.files) {
      const form = new FormData();
      form.append('image', new Blob([await readFile(join(models.path, file))], { type: 'image/png' }), file);
      const answer = await api<PredictAnswer>('POST', '/model/mnist-cnn', { body: form });
      expect(answer.status, `${file}: ${JSON.stringify(answer.body)}`).toBe(200);
      expectClose(answer.body.predictions[0]?.output, expected.image!.output);
    }
  });

  it('refuses a malicious pickle at deploy, naming the global, and never runs it', async () => {
    const { cases } = await models.expected<MaliciousCases>('malicious');
    const attack = cases.find((entry) => entry.file.endsWith('joblib-after-array.joblib'))!;
    const bundle = await modelBundle({ 'model.joblib': await readFile(join(models.path, attack.file)) }, 'innocent');
    const deployed = await pushAndDeploy('innocent', 'ScikitLearn', bundle);
    expect(deployed.body.state).toBe('failed');
    expect(deployed.body.reason).toContain(attack.imports);
    expect(existsSync(attack.marker)).toBe(false);
    for (const entry of cases) expect(existsSync(entry.marker), entry.marker).toBe(false);
  });
});
