import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, json, type JsonReply } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { linearScores } from '../support/inference/reference';
import { linearTestModel, type LinearTestModel } from '../support/inference/test-models';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

type PredictReply = JsonReply<{ predictions: { output?: number[] }[] }>;
interface VersionView { status: string; sha256: string; builtin_runtime: { runnable: boolean; reason?: string; model_file?: string } }

const FEATURES = 2000;
/** Three models of one size, with different weights, so that each answer shows which model ran. */
const models: Record<string, LinearTestModel> = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name, index) => [
  name, linearTestModel({ inputName: 'x', inputShape: ['N', FEATURES], outputName: 'scores', features: FEATURES, classes: 4, softmax: false, seed: 21 + index }),
]));
const modelBytes = models.a!.onnx.byteLength;
/** Twice a model's bytes and a half: room for two models' files, never three. */
const CACHE_BYTES = Math.floor(modelBytes * 2.5);
/** One session (each counts twice its model file), so that predicting again needs the files again. */
const SESSION_BYTES = modelBytes * 3;
const tooLarge = linearTestModel({ inputName: 'x', inputShape: ['N', 3 * FEATURES], outputName: 'scores', features: 3 * FEATURES, classes: 4, softmax: false, seed: 40 });

let mlhub: RunningMlhub;
let cacheDir: string;
const shaOf: Record<string, string> = {};
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const row = Array.from({ length: FEATURES }, (_, i) => ((i * 7) % 11) / 10);

async function publish(name: string, onnx: Uint8Array): Promise<VersionView> {
  expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
  const upload = await api('POST', `/model/${name}/upload`, { body: await modelBundle({ 'model.onnx': Buffer.from(onnx) }), headers: { 'content-type': 'application/octet-stream' } });
  expect(upload.status, JSON.stringify(upload.body)).toBe(201);
  const version = (await api('GET', `/model/${name}/versions/1`)).body as VersionView;
  shaOf[name] = version.sha256;
  return version;
}

/** Predicts with a model and checks the answer against its weights. */
async function predictsCorrectly(name: string): Promise<void> {
  const reply = (await api('POST', `/model/${name}/predict`, json({ input: row }))) as PredictReply;
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  const expected = linearScores(row, [...models[name]!.weights], [...models[name]!.bias]);
  const output = reply.body.predictions[0]?.output ?? [];
  expect(output).toHaveLength(expected.length);
  output.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 3));
}

const cached = async (): Promise<string[]> => (await readdir(cacheDir)).sort();
/** Bytes of the files in the cache folder, at any depth. */
async function cachedBytes(): Promise<number> {
  const entries = await readdir(cacheDir, { withFileTypes: true, recursive: true });
  const sizes = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => (await stat(join(entry.parentPath, entry.name))).size));
  return sizes.reduce((total, size) => total + size, 0);
}
const folders = (...names: string[]): string[] => names.map((name) => shaOf[name]!).sort();

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mlhub-model-cache-'));
  mlhub = await startMlhub({ env: { MLHUB_MODEL_CACHE_DIR: cacheDir, MLHUB_MODEL_CACHE_BYTES: String(CACHE_BYTES), MLHUB_ONNX_SESSION_CACHE_BYTES: String(SESSION_BYTES) } });
  for (const name of ['a', 'b', 'c']) await publish(name, models[name]!.onnx);
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  await rm(cacheDir, { recursive: true, force: true });
});

describe('the model file cache under a small configured size', () => {
  it('evicts the least recently used model\'s files to make room, and that model still predicts correctly afterwards', async () => {
    expect(await cached()).toEqual([]);
    await predictsCorrectly('a');
    expect(await cached()).toEqual(folders('a'));
    await predictsCorrectly('b');
    expect(await cached()).toEqual(folders('a', 'b'));
    await predictsCorrectly('c');
    // a was the least recently used: its unpacked files are gone.
    expect(await cached()).toEqual(folders('b', 'c'));
    await predictsCorrectly('a');
    // Unpacked again, in place of b, now the least recently used.
    expect(await cached()).toEqual(folders('a', 'c'));
  });

  it('marks a model too large for the predict function at upload, still ready, and answers its predictions 409 model_too_large', async () => {
    const version = await publish('too-large', tooLarge.onnx);
    expect(version.status).toBe('ready');
    expect(version.builtin_runtime.runnable).toBe(false);
    expect(version.builtin_runtime.reason).toMatch(new RegExp(`its model files take ${tooLarge.onnx.byteLength} bytes, more than the predict function can hold \\(${CACHE_BYTES} bytes, its model cache\\)\\. Deploy the model to a SageMaker endpoint`));
    const before = await cached();
    expectError(await api('POST', '/model/too-large/predict', json({ input: Array.from({ length: 3 * FEATURES }, () => 0.5) })), 409, 'model_too_large',
      new RegExp(`too-large v1 needs ${tooLarge.onnx.byteLength} bytes of model files, more than the predict function can hold \\(its model cache takes ${CACHE_BYTES} bytes\\): deploy the model to a SageMaker endpoint`));
    // Refused before any byte was read: nothing was evicted for it, nothing unpacked.
    expect(await cached()).toEqual(before);
  });

  it('tells a model that fits that the built-in runtime runs it', async () => {
    const version = (await api('GET', '/model/a/versions/1')).body as VersionView;
    expect(version.builtin_runtime).toEqual({ runnable: true, model_file: 'model.onnx' });
  });

  it('holds no more than its size once parallel cold predictions end, each answered correctly', async () => {
    for (const name of ['d', 'e', 'f', 'g']) await publish(name, models[name]!.onnx);
    // a and c are cached; b, d, e, f and g are misses at once, each seeing the others' files coming.
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(predictsCorrectly));
    expect(await cachedBytes()).toBeLessThanOrEqual(CACHE_BYTES);
    expect((await cached()).length).toBeGreaterThan(0);
  });
});
