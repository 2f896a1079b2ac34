import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryFolder } from '../../support/inference/bundles';
import { PYTHON, requirePython, SCRIPTS } from '../../support/frameworks/python-worker';

/**
 * How the framework scripts find their model file, labels and params.json in an unpacked bundle
 * (mlhub_serving/bundle.py), by the rules MLHub's upload check uses.
 */

requirePython(['numpy']);

type Outcome = { folder?: string; file?: string; labels?: string[] | null; code?: string; message?: string };

const PROGRAM = `
import json, sys
sys.path.insert(0, ${JSON.stringify(SCRIPTS)})
from mlhub_serving.bundle import model_file
from mlhub_serving.model_base import open_bundle
out = []
for path in sys.argv[1:]:
    try:
        folder, params, labels = open_bundle(path)
        found = model_file(folder, params, ('.joblib', '.pkl', '.pickle'), 'scikit-learn')
        out.append({'folder': folder[len(path):], 'file': found[len(folder) + 1:], 'labels': list(labels) if labels else None})
    except Exception as error:
        out.append({'code': error.code, 'message': str(error)})
print(json.dumps(out))
`;

describe('bundle files for the framework scripts', () => {
  let root: { path: string; remove: () => Promise<void> };
  const bundles: Record<string, Record<string, string>> = {
    'tfaas-folder': { 'iris/model.joblib': 'x', 'iris/labels.txt': 'setosa\n\nversicolor\r\nvirginica\n', '._iris': 'AppleDouble', '.DS_Store': '' },
    'several': { 'a.joblib': 'x', 'sub/b.pkl': 'y' },
    'named': { 'a.joblib': 'x', 'sub/b.pkl': 'y', 'params.json': '{"model": "sub/b.pkl", "labels": ["no", "yes"]}' },
    'named-onnx': { 'model.onnx': 'x', 'model.joblib': 'y', 'params.json': '{"model": "model.onnx"}' },
    'named-missing': { 'a.joblib': 'x', 'params.json': '{"model": "b.joblib"}' },
    'none': { 'model.onnx': 'x' },
    'bad-params': { 'a.joblib': 'x', 'params.json': '{"img_channels": 2}' },
    'bad-inputs': { 'a.joblib': 'x', 'params.json': '{"inputs": [{"datatype": "FP33", "shape": [-1, 4]}]}' },
  };
  let outcome: Record<string, Outcome>;

  beforeAll(async () => {
    root = await temporaryFolder('mlhub-framework-bundles-');
    for (const [name, files] of Object.entries(bundles)) {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(root.path, name, path)), { recursive: true });
        await writeFile(join(root.path, name, path), text);
      }
    }
    const names = Object.keys(bundles);
    const run = spawnSync(PYTHON, ['-c', PROGRAM, ...names.map((name) => join(root.path, name))], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1' } });
    if (run.status !== 0) throw new Error(run.stderr);
    const results = JSON.parse(run.stdout) as Outcome[];
    outcome = Object.fromEntries(names.map((name, index) => [name, results[index]!]));
  });

  afterAll(async () => {
    await root?.remove();
  });

  it("finds the model inside the bundle's one folder, macOS metadata ignored, labels as MLHub reads labels.txt", () => {
    expect(outcome['tfaas-folder']).toEqual({ folder: '/iris', file: 'model.joblib', labels: ['setosa', 'versicolor', 'virginica'] });
  });

  it('refuses several candidates unless params.json names one, and takes its labels', () => {
    expect(outcome.several).toEqual({ code: 'model_load_failed', message: expect.stringContaining('several scikit-learn files (a.joblib, sub/b.pkl); name one in params.json\'s "model"') });
    expect(outcome.named).toEqual({ folder: '', file: 'sub/b.pkl', labels: ['no', 'yes'] });
  });

  it('leaves a "model" of another kind to its runtime, and names a missing one', () => {
    expect(outcome['named-onnx']).toMatchObject({ file: 'model.joblib' });
    expect(outcome['named-missing']).toEqual({ code: 'model_load_failed', message: expect.stringContaining('"model": "b.joblib", which the bundle does not hold') });
    expect(outcome.none).toEqual({ code: 'model_load_failed', message: expect.stringContaining('holds no scikit-learn file') });
  });

  it("names the params.json key it cannot use", () => {
    expect(outcome['bad-params']).toEqual({ code: 'model_load_failed', message: expect.stringContaining('"img_channels" to be 1, 3 or 4') });
    expect(outcome['bad-inputs']).toEqual({ code: 'model_load_failed', message: expect.stringContaining('"inputs[0].datatype"') });
  });
});
