import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProtocolServer } from '../../support/inference/protocol-server';
import { rejectionOf, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';
import { testEngine } from '../../support/inference/engine';
import { call, closeTo, generateModels, PYTHON, requirePython, sagemakerRuntimeFor, SCRIPTS, startWorker, type GeneratedModels, type Worker } from '../../support/frameworks/python-worker';

/**
 * scikit-learn and XGBoost models made by Debian's Python, served by serve.py running the very
 * inference.py SageMaker would, and predicted through MLHub's own SageMaker backend
 * (payloadFor/readAnswer in sagemaker-backend.ts) and engine (labels from labels.txt).
 */

interface IrisExpected {
  readonly labels: string[];
  readonly vector: { readonly input: number[]; readonly output: number[] };
  readonly batch: { readonly input: number[][]; readonly outputs: number[][]; readonly labels: string[] };
}

interface MaliciousExpected {
  readonly cases: { readonly file: string; readonly marker: string; readonly imports: string | null; readonly refusal: string }[];
}

requirePython(['numpy', 'joblib', 'sklearn', 'xgboost']);

let models: GeneratedModels;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  models = await generateModels(['sklearn', 'xgboost', 'malicious']);
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await models?.remove();
});

/** A worker for one bundle, a SageMaker runtime in front of it, and MLHub's engine calling that. */
async function deployed(framework: 'sklearn' | 'xgboost', name: string, labels: string[]): Promise<{ worker: Worker; fixture: RemoteFixture }> {
  const worker = await startWorker({ framework, modelDir: join(models.path, name), allowPickles: true });
  const { server, client }: { server: ProtocolServer; client: Parameters<typeof testEngine>[2] } = await sagemakerRuntimeFor(worker);
  const fixture = await remoteFixture({ labels, engine: (config, shelf) => testEngine(shelf, config, client) });
  stops.push(() => worker.stop(), () => server.close(), () => fixture.remove());
  return { worker, fixture };
}

describe.each([
  ['sklearn', 'iris-logreg', 'ScikitLearn'],
  ['sklearn', 'iris-forest', 'ScikitLearn'],
  // MLHub's model types have no XGBoost of its own yet; the type does not change how it predicts.
  ['xgboost', 'iris-xgboost', 'ScikitLearn'],
] as const)('%s worker serving %s', (framework, name, type) => {
  let expected: IrisExpected;
  let worker: Worker;
  let fixture: RemoteFixture;
  const json = { kind: 'sagemaker', endpoint: name, content_type: 'application/json' };

  beforeAll(async () => {
    expected = await models.expected<IrisExpected>(name);
    ({ worker, fixture } = await deployed(framework, name, expected.labels));
  });

  it('answers /ping once the model is loaded', async () => {
    expect(await call(worker, '/ping')).toMatchObject({ status: 200 });
  });

  it('predicts one vector as the framework does, labelled from labels.txt', async () => {
    const result = await fixture.predict(json, fixture.json({ input: expected.vector.input }), type);
    expect(result.predictions).toHaveLength(1);
    expect(closeTo(result.predictions[0]!.output, expected.vector.output)).toEqual([]);
    expect(result.predictions[0]!.label).toBe('setosa');
  });

  it('predicts a batch as {"instances"} and as a bare JSON array, row by row', async () => {
    for (const spec of [json, { ...json, json_format: 'array' }]) {
      const result = await fixture.predict(spec, fixture.json({ input: expected.batch.input }), type);
      expect(closeTo(result.predictions.map((p) => p.output), expected.batch.outputs)).toEqual([]);
      expect(result.predictions.map((p) => p.label)).toEqual(expected.batch.labels);
    }
  });

  it('predicts CSV rows answered as CSV lines', async () => {
    const result = await fixture.predict({ ...json, content_type: 'text/csv', accept: 'text/csv' }, fixture.json({ input: expected.batch.input }), type);
    expect(closeTo(result.predictions.map((p) => p.output), expected.batch.outputs)).toEqual([]);
    expect(result.predictions.map((p) => p.label)).toEqual(expected.batch.labels);
  });

  it('refuses rows of the wrong width as bad input (4xx), naming the expected feature count', async () => {
    const direct = await call(worker, '/invocations', { body: JSON.stringify({ instances: [[1, 2]] }), contentType: 'application/json' });
    expect(direct.status).toBe(400);
    expect(JSON.parse(direct.text)).toEqual({ error: { code: 'invalid_input', message: expect.stringContaining('takes 4 features per row; got 2') } });
    const error = await rejectionOf(fixture.predict(json, fixture.json({ input: [1, 2] }), type));
    expect({ kind: error.kind, code: error.code }).toEqual({ kind: 'invalid', code: 'invalid_input' });
    expect(error.message).toContain('takes 4 features per row');
  });

  it('logs one JSON line per request to stderr', () => {
    const requests = worker.logs.filter((line) => line.path === '/invocations');
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(requests.every((line) => line.method === 'POST' && typeof line.status === 'number' && typeof line.ms === 'number')).toBe(true);
  });
});

describe('the worker contract', () => {
  let worker: Worker;

  beforeAll(async () => {
    worker = await startWorker({ framework: 'sklearn', modelDir: join(models.path, 'iris-logreg'), allowPickles: true });
    stops.push(() => worker.stop());
  });

  it('adds the labels it knows beside the predictions, which readAnswer leaves alone', async () => {
    const answer = await call(worker, '/invocations', { body: '[[5.1, 3.5, 1.4, 0.2]]', contentType: 'application/json' });
    expect(answer.contentType).toBe('application/json');
    expect(JSON.parse(answer.text)).toMatchObject({ labels: ['setosa', 'versicolor', 'virginica'] });
  });

  it("takes labels from the classifier's classes_ when the bundle has no labels.txt", async () => {
    const bare = join(models.path, 'no-labels');
    await mkdir(bare, { recursive: true });
    await copyFile(join(models.path, 'iris-logreg', 'model.joblib'), join(bare, 'model.joblib'));
    const program = [
      'import json, sys',
      `sys.path[:0] = [${JSON.stringify(join(SCRIPTS, 'sklearn'))}, ${JSON.stringify(SCRIPTS)}]`,
      'import inference',
      'from mlhub_serving.payloads import parse_request',
      'model = inference.model_fn(sys.argv[1])',
      'body, kind = inference.output_fn(inference.predict_fn(parse_request(b"[[5.1, 3.5, 1.4, 0.2]]", "application/json"), model), "application/json")',
      'print(body.decode())',
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', program, bare], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', MLHUB_ALLOW_PICKLES: '1' } });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ labels: ['0', '1', '2'] });
  });

  it('takes model.json for the booster and leaves metrics.json beside it alone (review 14b finding 9)', async () => {
    const withSidecar = join(models.path, 'xgboost-with-metrics');
    await mkdir(withSidecar, { recursive: true });
    await copyFile(join(models.path, 'iris-xgboost', 'model.json'), join(withSidecar, 'model.json'));
    await writeFile(join(withSidecar, 'metrics.json'), '{"accuracy": 0.97}');
    const other = await startWorker({ framework: 'xgboost', modelDir: withSidecar });
    stops.push(() => other.stop());
    expect((await call(other, '/ping')).status).toBe(200);
  });

  it('refuses at load a pickle that holds no estimator, naming what it holds (review 14b finding 16)', async () => {
    const bunch = join(models.path, 'bunch');
    await mkdir(bunch, { recursive: true });
    const made = spawnSync(PYTHON, ['-c', 'import joblib, sys; from sklearn.utils import Bunch; joblib.dump(Bunch(a=1), sys.argv[1])', join(bunch, 'model.joblib')], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const other = await startWorker({ framework: 'sklearn', modelDir: bunch, allowPickles: true });
    stops.push(() => other.stop());
    const ping = await call(other, '/ping');
    expect(ping.status).toBe(500);
    expect(JSON.parse(ping.text).error).toEqual({ code: 'model_load_failed', message: 'model.joblib holds a sklearn.utils._bunch.Bunch, not an estimator: it has neither predict nor predict_proba' });
  });

  it('answers malformed bodies, unknown types and unknown routes with JSON errors naming the problem', async () => {
    const notJson = await call(worker, '/invocations', { body: '{"instances": [', contentType: 'application/json' });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text).error.code).toBe('invalid_input');
    const noRows = await call(worker, '/invocations', { body: '{"rows": [[1, 2, 3, 4]]}', contentType: 'application/json' });
    expect(JSON.parse(noRows.text).error.message).toContain('"instances"');
    const badCsv = await call(worker, '/invocations', { body: '1,2,3,4\n1,x,3,4', contentType: 'text/csv' });
    expect(JSON.parse(badCsv.text).error.message).toContain('CSV line 2, value 2');
    const xml = await call(worker, '/invocations', { body: '<x/>', contentType: 'application/xml' });
    expect(xml.status).toBe(415);
    const image = await call(worker, '/invocations', { body: Buffer.from('GIF89a'), contentType: 'image/png' });
    expect(JSON.parse(image.text).error.code).toBe('invalid_input');
    const accept = await call(worker, '/invocations', { body: '[[1, 2, 3, 4]]', contentType: 'application/json', accept: 'application/xml' });
    expect(accept.status).toBe(406);
    const route = await call(worker, '/nowhere');
    expect(route.status).toBe(404);
    expect(JSON.parse(route.text).error.code).toBe('route_not_found');
  });

  it('listens on 127.0.0.1 only', () => {
    expect(worker.logs.find((line) => line.event === 'listening')).toMatchObject({ host: '127.0.0.1' });
    expect(worker.url.startsWith('http://127.0.0.1:')).toBe(true);
  });

  it('exits cleanly on SIGTERM while watching its parent, with no Fatal Python error (review 14b finding 5)', async () => {
    // The stdin watch blocks in a read when the interpreter finalises; a buffered read held its lock and aborted the exit.
    for (let i = 0; i < 3; i += 1) {
      const other = await startWorker({ framework: 'xgboost', modelDir: join(models.path, 'iris-xgboost'), watchParent: true });
      await call(other, '/ping');
      expect(await other.stop()).toBe(0);
      expect(other.stderr.join('\n')).not.toMatch(/Fatal Python error/);
    }
  });

  it('exits cleanly on SIGTERM', async () => {
    const other = await startWorker({ framework: 'sklearn', modelDir: join(models.path, 'iris-logreg'), allowPickles: true });
    expect(await other.stop()).toBe(0);
    expect(other.logs.at(-1)).toMatchObject({ event: 'stopped' });
  });
});

describe('pickle safety', () => {
  let expected: MaliciousExpected;

  beforeAll(async () => {
    expected = await models.expected<MaliciousExpected>('malicious');
  });

  /** Each case through `loader` (a Python expression of `path`), in one Python process (a worker each would be slow). */
  function throughLoader(loader: string): Record<string, [string, string]> {
    const program = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(SCRIPTS)})`,
      'from mlhub_serving.pickle_safety import load_pickle, restricted_load',
      'out = {}',
      'for path in sys.argv[1:]:',
      '    try:',
      `        ${loader}; out[path] = ["loaded", ""]`,
      '    except Exception as error:',
      '        out[path] = [getattr(error, "code", type(error).__name__), str(error)]',
      'print(json.dumps(out))',
    ].join('\n');
    const paths = expected.cases.map((entry) => join(models.path, entry.file));
    const run = spawnSync(PYTHON, ['-c', program, ...paths], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    // A forged NumPy state that gets through crashes this Python (SIGSEGV): a failure, never a pass.
    expect({ signal: run.signal, status: run.status, stderr: run.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    return JSON.parse(run.stdout) as Record<string, [string, string]>;
  }

  function expectAllRefused(outcome: Record<string, [string, string]>): void {
    expect(expected.cases.length).toBe(26);
    for (const entry of expected.cases) {
      const [code, message] = outcome[join(models.path, entry.file)]!;
      expect({ file: entry.file, code }).toEqual({ file: entry.file, code: 'pickle_refused' });
      expect({ file: entry.file, message }).toEqual({ file: entry.file, message: expect.stringContaining(entry.refusal) });
      expect(existsSync(entry.marker)).toBe(false);
    }
  }

  it('refuses every malicious pickle before loading it, naming the global or the forged NumPy state, and its marker never appears', () => {
    expectAllRefused(throughLoader('load_pickle(path, {"MLHUB_ALLOW_MODEL_CODE": "1"})'));
  });

  it('refuses every malicious pickle in the loader itself, with no scan first: what is checked is what runs', () => {
    // The copyreg-made wrappers, the missing alignment and the object array pass a scan that reads
    // array bytes differently from joblib; only the loader's own allow-list can stop them.
    expectAllRefused(throughLoader('restricted_load(path)'));
  });

  it('still reads pickles under their earlier setting name, MLHUB_ALLOW_PICKLES', () => {
    const program = [
      'import sys', `sys.path.insert(0, ${JSON.stringify(SCRIPTS)})`,
      'from mlhub_serving.pickle_safety import load_pickle',
      `print(type(load_pickle(sys.argv[1], {"MLHUB_ALLOW_PICKLES": "1"})).__name__)`,
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', program, join(models.path, 'iris-forest', 'model.joblib')], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('RandomForestClassifier');
  });

  it('makes /ping answer 500 pickle_refused naming posix.system, and never runs it', async () => {
    const bundle = join(models.path, 'evil-bundle');
    await mkdir(bundle, { recursive: true });
    const entry = expected.cases.find((item) => item.file.endsWith('protocol-4.pkl'))!;
    await writeFile(join(bundle, 'model.pkl'), await readFile(join(models.path, entry.file)));
    const worker = await startWorker({ framework: 'sklearn', modelDir: bundle, allowPickles: true });
    stops.push(() => worker.stop());
    const ping = await call(worker, '/ping');
    expect(ping.status).toBe(500);
    expect(JSON.parse(ping.text)).toEqual({ error: { code: 'pickle_refused', message: expect.stringContaining('imports posix.system') } });
    const invocation = await call(worker, '/invocations', { body: '[[1, 2, 3, 4]]', contentType: 'application/json' });
    expect(invocation.status).toBe(500);
    expect(JSON.parse(invocation.text).error.code).toBe('pickle_refused');
    expect(existsSync(entry.marker)).toBe(false);
  });

  it('refuses every pickle with MLHUB_ALLOW_MODEL_CODE=0, saying so', async () => {
    const worker = await startWorker({ framework: 'sklearn', modelDir: join(models.path, 'iris-logreg'), allowPickles: false });
    stops.push(() => worker.stop());
    const ping = await call(worker, '/ping');
    expect(ping.status).toBe(500);
    expect(JSON.parse(ping.text)).toEqual({ error: { code: 'pickle_refused', message: expect.stringContaining('MLHUB_ALLOW_MODEL_CODE=0') } });
  });
});

describe('XGBoost booster checks (review 14c finding 1)', () => {
  interface CraftedExpected {
    readonly cases: { readonly file: string; readonly refusal: string }[];
    readonly ubj: string;
    readonly binary: string;
    readonly binaryRefusal: string;
  }
  let expected: CraftedExpected;

  beforeAll(async () => {
    expected = await models.expected<CraftedExpected>('crafted-boosters');
  });

  /** A bundle folder holding only `file` (as model.json, model.ubj or model.bst, by its suffix). */
  async function bundleOf(file: string, name: string): Promise<string> {
    const folder = join(models.path, 'booster-bundles', name);
    await mkdir(folder, { recursive: true });
    await copyFile(join(models.path, file), join(folder, `model${file.slice(file.lastIndexOf('.'))}`));
    return folder;
  }

  it('refuses every crafted booster, JSON and UBJSON, naming the index or count, before XGBoost reads it', () => {
    // One Python for all: a crafted booster that got through to XGBoost may crash it, which fails here too.
    const program = [
      'import json, sys', `sys.path.insert(0, ${JSON.stringify(SCRIPTS)})`,
      'from mlhub_serving.booster_check import read_booster',
      'out = {}',
      'for path in sys.argv[1:]:',
      '    try:',
      '        read_booster(path, True); out[path] = ["loaded", ""]',
      '    except Exception as error:',
      '        out[path] = [getattr(error, "code", type(error).__name__), str(error)]',
      'print(json.dumps(out))',
    ].join('\n');
    expect(expected.cases.length).toBe(18);
    const run = spawnSync(PYTHON, ['-c', program, ...expected.cases.map((entry) => join(models.path, entry.file))], { encoding: 'utf8' });
    expect({ signal: run.signal, status: run.status, stderr: run.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    const outcome = JSON.parse(run.stdout) as Record<string, [string, string]>;
    for (const entry of expected.cases) {
      const [code, message] = outcome[join(models.path, entry.file)]!;
      expect({ file: entry.file, code, message }).toEqual({ file: entry.file, code: 'model_load_failed', message: expect.stringContaining(entry.refusal) });
    }
  });

  it('makes /ping answer 500 model_load_failed for a booster whose child index is past its tree, and the worker stays up', async () => {
    const worker = await startWorker({ framework: 'xgboost', modelDir: await bundleOf('crafted-boosters/child-past-end.json', 'child') });
    stops.push(() => worker.stop());
    const ping = await call(worker, '/ping');
    expect(ping.status).toBe(500);
    expect(JSON.parse(ping.text).error).toEqual({ code: 'model_load_failed', message: expect.stringContaining('left_children[0] is 8, outside [-1, 3)') });
    expect((await call(worker, '/ping')).status).toBe(500);
  });

  it('loads the real booster as UBJSON, checked, and predicts what the JSON one does', async () => {
    const iris = await models.expected<IrisExpected>('iris-xgboost');
    const worker = await startWorker({ framework: 'xgboost', modelDir: await bundleOf(expected.ubj, 'ubj') });
    stops.push(() => worker.stop());
    const answer = await call(worker, '/invocations', { body: JSON.stringify([iris.vector.input]), contentType: 'application/json' });
    expect(answer.status).toBe(200);
    const scores = (JSON.parse(answer.text) as { predictions: number[][] }).predictions[0]!;
    scores.forEach((score, index) => expect(score).toBeCloseTo(iris.vector.output[index]!, 5));
  });

  it('treats a legacy binary booster as model code: refused with model code off, loaded with it on', async () => {
    const folder = await bundleOf(expected.binary, 'binary');
    const off = await startWorker({ framework: 'xgboost', modelDir: folder, allowPickles: false });
    stops.push(() => off.stop());
    const ping = await call(off, '/ping');
    expect(ping.status).toBe(500);
    expect(JSON.parse(ping.text).error).toEqual({ code: 'model_load_failed', message: expect.stringContaining(expected.binaryRefusal) });
    const on = await startWorker({ framework: 'xgboost', modelDir: folder, allowPickles: true });
    stops.push(() => on.stop());
    expect((await call(on, '/ping')).status).toBe(200);
  });
});

describe('a framework module that is missing', () => {
  it('makes /ping answer 500 framework_missing with the exact apt-get line', async () => {
    // A package named xgboost that fails to import, first on PYTHONPATH: Debian's is hidden.
    const hiding = join(models.path, 'hide-xgboost');
    await mkdir(join(hiding, 'xgboost'), { recursive: true });
    await writeFile(join(hiding, 'xgboost', '__init__.py'), "raise ImportError(\"No module named 'xgboost'\", name='xgboost')\n");
    const worker = await startWorker({ framework: 'xgboost', modelDir: join(models.path, 'iris-xgboost'), pythonPath: [hiding] });
    stops.push(() => worker.stop());
    const ping = await call(worker, '/ping');
    expect(ping.status).toBe(500);
    const { error } = JSON.parse(ping.text) as { error: { code: string; message: string } };
    expect(error.code).toBe('framework_missing');
    expect(error.message).toContain('apt-get install -y python3-xgboost');
    expect(worker.logs.find((line) => line.event === 'model_not_loaded')).toMatchObject({ code: 'framework_missing' });
  });
});
