import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, json, type JsonReply } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { linearScores } from '../support/inference/reference';
import { linearTestModel, type LinearTestModel } from '../support/inference/test-models';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

type PredictReply = JsonReply<{ predictions: { output?: number[] }[] }>;
interface VersionView { sha256: string; builtin_runtime: { runnable: boolean; reason?: string; model_file?: string } }
interface ModelView { versions: VersionView[] }

const FEATURES = 500;
const models: Record<string, LinearTestModel> = Object.fromEntries(['lowered', 'raised'].map((name, index) => [
  name, linearTestModel({ inputName: 'x', inputShape: ['N', FEATURES], outputName: 'scores', features: FEATURES, classes: 3, softmax: false, seed: 60 + index }),
]));
const modelBytes = models.lowered!.onnx.byteLength;
const ROOMY = modelBytes * 2;
const SMALL = Math.floor(modelBytes / 2);
const row = Array.from({ length: FEATURES }, (_, i) => ((i * 5) % 7) / 10);

let dataDir: string;
let mlhub: RunningMlhub | undefined;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub!.url, method, path, init);

/**
 * (Re)starts MLHub on the same data folder with a model cache of `cacheBytes`, leaving
 * MLHUB_MODEL_CACHE_DIR unset (an inherited value would hide the default).
 */
async function restart(cacheBytes: number): Promise<void> {
  await mlhub?.stop();
  mlhub = await startMlhub({ dataDir, env: { MLHUB_MODEL_CACHE_BYTES: String(cacheBytes), MLHUB_MODEL_CACHE_DIR: '' } });
}

async function publish(name: string): Promise<void> {
  expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
  const upload = await api('POST', `/model/${name}/upload`, { body: await modelBundle({ 'model.onnx': Buffer.from(models[name]!.onnx) }), headers: { 'content-type': 'application/octet-stream' } });
  expect(upload.status, JSON.stringify(upload.body)).toBe(201);
}

/** The version as GET /model/{name}/versions/1 and GET /model/{name} show it, which must agree. */
async function versionOf(name: string): Promise<VersionView> {
  const version = (await api('GET', `/model/${name}/versions/1`)).body as VersionView;
  const model = (await api('GET', `/model/${name}`)).body as ModelView;
  expect(model.versions[0]?.builtin_runtime).toEqual(version.builtin_runtime);
  return version;
}

async function predictsCorrectly(name: string): Promise<void> {
  const reply = (await api('POST', `/model/${name}/predict`, json({ input: row }))) as PredictReply;
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  const expected = linearScores(row, [...models[name]!.weights], [...models[name]!.bias]);
  const output = reply.body.predictions[0]?.output ?? [];
  expect(output).toHaveLength(expected.length);
  output.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 3));
}

function expectTooLarge(version: VersionView, cacheBytes: number): void {
  expect(version.builtin_runtime.runnable).toBe(false);
  expect(version.builtin_runtime.reason).toMatch(new RegExp(`its model files take ${modelBytes} bytes, more than the predict function can hold \\(${cacheBytes} bytes, its model cache\\)`));
}

async function expectRefused(name: string, cacheBytes: number): Promise<void> {
  expectError(await api('POST', `/model/${name}/predict`, json({ input: row })), 409, 'model_too_large',
    new RegExp(`${name} v1 needs ${modelBytes} bytes of model files, more than the predict function can hold \\(its model cache takes ${cacheBytes} bytes\\)`));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mlhub-cache-settings-'));
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  await removeDataDir(dataDir);
});

describe('the model cache settings of a local MLHub', () => {
  it('keeps model files in the data folder when MLHUB_MODEL_CACHE_DIR is unset', async () => {
    await restart(ROOMY);
    await publish('lowered');
    await predictsCorrectly('lowered');
    const { sha256 } = await versionOf('lowered');
    expect(await readdir(join(dataDir, 'model-cache', sha256))).toEqual(['model.onnx']);
  }, 90_000);

  it('shows builtin_runtime for the model cache size now, not the one at upload, as predict decides: a lowered size', async () => {
    expect((await versionOf('lowered')).builtin_runtime).toEqual({ runnable: true, model_file: 'model.onnx' });
    await restart(SMALL);
    expectTooLarge(await versionOf('lowered'), SMALL);
    await expectRefused('lowered', SMALL);
  }, 90_000);

  it('…and a raised one', async () => {
    await publish('raised');
    expectTooLarge(await versionOf('raised'), SMALL);
    await expectRefused('raised', SMALL);
    await restart(ROOMY);
    expect((await versionOf('raised')).builtin_runtime).toEqual({ runnable: true, model_file: 'model.onnx' });
    await predictsCorrectly('raised');
  }, 90_000);
});
