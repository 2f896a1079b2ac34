import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../support/inference/images';
import { parseImageInput } from '../../../functions/inference/predict-input';
import { temporaryFolder } from '../../support/inference/bundles';
import type { ProtocolServer } from '../../support/inference/protocol-server';
import { remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';
import { testEngine } from '../../support/inference/engine';
import { call, closeTo, PYTHON, requirePython, sagemakerRuntimeFor, SCRIPTS, startWorker, type Worker } from '../../support/frameworks/python-worker';

/**
 * tensorflow/inference.py without TensorFlow, which Debian does not package: a fake `tensorflow`
 * module (constant, saved_model.load and a serving_default signature computing a small linear
 * model from weights in the bundle) stands in for TF in the local worker, and the TF Serving
 * container's input_handler/output_handler are called as the container calls them, with its
 * context and TF Serving's HTTP answer.
 */

const FAKE_TENSORFLOW = `
import json, os
import numpy as np

class _Tensor:
    def __init__(self, array):
        self._array = np.asarray(array)
    def numpy(self):
        return self._array

def constant(value, dtype=None):
    return _Tensor(np.asarray(value, dtype=dtype))

class _Signature:
    structured_input_signature = ((), {'pixels': None})
    def __init__(self, weights, bias):
        self._weights, self._bias = np.asarray(weights, dtype=np.float32), np.asarray(bias, dtype=np.float32)
    def __call__(self, **feeds):
        x = feeds['pixels'].numpy()
        logits = x.reshape(x.shape[0], -1) @ self._weights + self._bias
        exps = np.exp(logits - logits.max(axis=1, keepdims=True))
        return {'logits': _Tensor(logits), 'probabilities': _Tensor(exps / exps.sum(axis=1, keepdims=True))}

class _Loaded:
    def __init__(self, path):
        with open(os.path.join(path, 'weights.json')) as handle:
            weights = json.load(handle)
        self.signatures = {'serving_default': _Signature(weights['w'], weights['b'])}

class saved_model:
    @staticmethod
    def load(path):
        if not os.path.isfile(os.path.join(path, 'saved_model.pb')):
            raise OSError('no saved_model.pb in ' + path)
        return _Loaded(path)
`;

const WEIGHTS = { w: [[1, -1, 0.5], [0.25, 2, -1], [-0.5, 0.5, 1], [2, 0, -2]], b: [0.1, -0.2, 0.3] };
const LABELS = ['cat', 'dog', 'owl'];
const PARAMS = { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 2, 2, 1] }], img_width: 2, img_height: 2, img_channels: 1, img_layout: 'NHWC' };

/** The fake model's logits, in float64 (within 1e-5 of float32). */
const logits = (row: number[]): number[] => WEIGHTS.b.map((bias, out) => row.reduce((sum, value, i) => sum + value * WEIGHTS.w[i]![out]!, bias));

requirePython(['numpy']);

describe('tensorflow/inference.py', () => {
  let folder: { path: string; remove: () => Promise<void> };
  let bundle: string;
  let worker: Worker;
  let server: ProtocolServer;
  let fixture: RemoteFixture;

  beforeAll(async () => {
    folder = await temporaryFolder('mlhub-tf-fake-');
    await mkdir(join(folder.path, 'fake', 'tensorflow'), { recursive: true });
    await writeFile(join(folder.path, 'fake', 'tensorflow', '__init__.py'), FAKE_TENSORFLOW);
    bundle = join(folder.path, 'bundle');
    // TF Serving's layout: the SavedModel in a numbered version folder.
    await mkdir(join(bundle, '1'), { recursive: true });
    await writeFile(join(bundle, '1', 'saved_model.pb'), 'a graph');
    await writeFile(join(bundle, '1', 'weights.json'), JSON.stringify(WEIGHTS));
    await writeFile(join(bundle, 'params.json'), JSON.stringify(PARAMS));
    await writeFile(join(bundle, 'labels.txt'), LABELS.join('\n'));
    worker = await startWorker({ framework: 'tensorflow', modelDir: bundle, pythonPath: [join(folder.path, 'fake')] });
    const runtime = await sagemakerRuntimeFor(worker);
    server = runtime.server;
    fixture = await remoteFixture({ labels: LABELS, params: PARAMS, engine: (config, shelf) => testEngine(shelf, config, runtime.client) });
  });

  afterAll(async () => {
    await worker?.stop();
    await server?.close();
    await fixture?.remove();
    await folder?.remove();
  });

  it('serves a SavedModel in the local worker through the serving_default signature, several outputs by name', async () => {
    const rows = [[1, 2, 3, 4], [0.5, 0, -1, 2]];
    const result = await fixture.predict({ kind: 'sagemaker', endpoint: 'tf', content_type: 'application/json' }, fixture.json({ input: rows }), 'TensorFlow');
    expect(result.predictions).toHaveLength(2);
    rows.forEach((row, index) => {
      const outputs = result.predictions[index]!.outputs as Record<string, number[]>;
      expect(Object.keys(outputs).sort()).toEqual(['logits', 'probabilities']);
      expect(closeTo(outputs.logits, logits(row))).toEqual([]);
      const top = logits(row).indexOf(Math.max(...logits(row)));
      expect(result.predictions[index]!.label).toBe(LABELS[top]);
    });
  });

  it('takes an image as its bytes, prepared to the declared [2, 2, 1] input', async () => {
    // A 2×2 grey image: pixel values 0, 51, 102, 255, scaled by 1/255.
    const png = encodePng({ width: 2, height: 2, channels: 1, values: Uint8Array.from([0, 51, 102, 255]) });
    const result = await fixture.predict({ kind: 'sagemaker', endpoint: 'tf', content_type: 'image/png' }, parseImageInput(png, 'image/png', fixture.config.limits), 'TensorFlow');
    const outputs = result.predictions[0]!.outputs as Record<string, number[]>;
    expect(closeTo(outputs.logits, logits([0, 0.2, 0.4, 1]))).toEqual([]);
  });

  it("runs the TF Serving container's input_handler and output_handler as the container calls them", () => {
    const program = `
import io, json, sys, types
sys.path.insert(0, ${JSON.stringify(join(SCRIPTS, 'tensorflow'))})
sys.path.insert(0, ${JSON.stringify(SCRIPTS)})
import inference
context = types.SimpleNamespace(request_content_type='application/json', accept_header='application/json')
request = inference.input_handler(io.BytesIO(b'{"instances": [[1, 2, 3, 4]]}'), context)
answer = {'predictions': [{'logits': [1.5, 0.5, -1.0], 'probabilities': [0.7, 0.25, 0.05]}]}
body, kind = inference.output_handler(types.SimpleNamespace(status_code=200, content=json.dumps(answer).encode()), context)
csv_context = types.SimpleNamespace(request_content_type='text/csv', accept_header='text/csv')
csv_request = inference.input_handler(io.BytesIO(b'1,2,3,4\\n5,6,7,8'), csv_context)
csv_body, csv_kind = inference.output_handler(types.SimpleNamespace(status_code=200, content=b'{"predictions": [[0.5], [1.5]]}'), csv_context)
try:
    inference.output_handler(types.SimpleNamespace(status_code=400, content=b'{"error": "bad shape"}'), context)
    failure = None
except Exception as error:
    failure = [error.status, error.code, str(error)]
print(json.dumps({'request': json.loads(request), 'body': json.loads(body), 'kind': kind, 'csv_request': json.loads(csv_request),
                  'csv_body': csv_body.decode(), 'csv_kind': csv_kind, 'failure': failure}))
`;
    const run = spawnSync(PYTHON, ['-c', program], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1', SM_MODEL_DIR: bundle } });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    // Rows reshaped to params.json's [2, 2, 1], in TF Serving's row format.
    expect(out.request).toEqual({ instances: [[[[1], [2]], [[3], [4]]]] });
    expect(out.csv_request).toEqual({ instances: [[[[1], [2]], [[3], [4]]], [[[5], [6]], [[7], [8]]]] });
    expect(out.body).toEqual({ predictions: [{ logits: [1.5, 0.5, -1.0], probabilities: [0.7, 0.25, 0.05] }], labels: LABELS });
    expect(out.kind).toBe('application/json');
    expect(out.csv_body).toBe('0.5\n1.5\n');
    expect(out.csv_kind).toBe('text/csv');
    expect(out.failure).toEqual([400, 'model_failed', '{"error": "bad shape"}']);
  });

  it('without TensorFlow, the worker answers /ping 500 framework_missing saying to use TF Serving', async () => {
    const bare = await startWorker({ framework: 'tensorflow', modelDir: bundle });
    try {
      const ping = await call(bare, '/ping');
      expect(ping.status).toBe(500);
      const { error } = JSON.parse(ping.text) as { error: { code: string; message: string } };
      expect(error.code).toBe('framework_missing');
      expect(error.message).toContain('TF Serving');
    } finally {
      await bare.stop();
    }
  });
});
