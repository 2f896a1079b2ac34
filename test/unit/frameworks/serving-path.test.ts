import { describe, expect, it } from 'vitest';
import { deploymentName } from '../../../functions/frameworks/deployment-records';
import { containerImage } from '../../../functions/frameworks/container-images';
import { modelCodePolicy } from '../../../functions/frameworks/model-code';
import { servingPath } from '../../../functions/frameworks/serving-path';
import { localPickleSetting } from '../../../local/sagemaker/local-deploy';

const files = (...paths: string[]) => paths.map((path) => ({ path, size: 10 }));
const runnable = { runnable: true as const, modelFiles: ['model.onnx'] };
const notRunnable = { runnable: false as const, reason: 'no .onnx' };

describe('the serving path a bundle takes', () => {
  it('is builtin for ONNX, remote for a meta.backend, deployable per framework', () => {
    expect(servingPath({ files: files('model.onnx', 'model.pkl'), builtinRuntime: runnable })).toEqual({ path: 'builtin' });
    expect(servingPath({ files: files('model.onnx'), builtinRuntime: runnable }, { meta: { backend: { kind: 'sagemaker', endpoint: 'e' } } })).toEqual({ path: 'remote' });
    expect(servingPath({ files: files('iris/model.joblib'), builtinRuntime: notRunnable })).toEqual({ path: 'deployable', framework: 'sklearn', modelFile: 'iris/model.joblib' });
    expect(servingPath({ files: files('clf.pickle', 'labels.txt'), builtinRuntime: notRunnable })).toMatchObject({ framework: 'sklearn' });
    expect(servingPath({ files: files('booster.ubj'), builtinRuntime: notRunnable })).toMatchObject({ framework: 'xgboost' });
    expect(servingPath({ files: files('model.json', 'params.json'), params: {}, builtinRuntime: notRunnable })).toMatchObject({ framework: 'xgboost', modelFile: 'model.json' });
    expect(servingPath({ files: files('net.pt', 'params.json'), params: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1, 28, 28] }] }, builtinRuntime: notRunnable })).toMatchObject({ framework: 'pytorch' });
    expect(servingPath({ files: files('1/saved_model.pb', '1/variables/variables.index'), builtinRuntime: notRunnable })).toMatchObject({ framework: 'tensorflow' });
    // The built-in verdict as predict decides it now wins over the recorded one.
    expect(servingPath({ files: files('model.onnx', 'model.pkl'), builtinRuntime: runnable }, { builtinRunnable: false })).toMatchObject({ path: 'deployable', framework: 'sklearn' });
  });

  it('is none, with the reason, for what nothing can serve or what is ambiguous', () => {
    expect(servingPath({ files: files('README.md', 'params.json'), params: {}, builtinRuntime: notRunnable })).toMatchObject({ path: 'none', reason: expect.stringMatching(/no model file of a framework MLHub deploys/) });
    expect(servingPath({ files: files('net.pt'), builtinRuntime: notRunnable })).toMatchObject({ path: 'none', reason: expect.stringMatching(/needs a params.json/) });
    expect(servingPath({ files: files('model.pkl', 'net.pt', 'params.json'), params: {}, builtinRuntime: notRunnable })).toMatchObject({ path: 'none', reason: expect.stringMatching(/several frameworks \(sklearn, pytorch\)/) });
    expect(servingPath({ files: files('model.pkl', 'net.pt', 'params.json'), params: { framework: 'scikit-learn', model: 'model.pkl' }, builtinRuntime: notRunnable })).toMatchObject({ path: 'deployable', framework: 'sklearn', modelFile: 'model.pkl' });
    expect(servingPath({ files: files('model.pkl', 'params.json'), params: { model: 'other.pkl' }, builtinRuntime: notRunnable })).toMatchObject({ path: 'none', reason: expect.stringMatching(/other\.pkl/) });
  });
});

describe('.json files beside a model (review 14b finding 9)', () => {
  it('counts only the .json files whose first bytes are a booster\'s, so sidecars leave a bundle one framework\'s', () => {
    const cnn = { files: files('model.pt', 'params.json', 'metrics.json', 'vocab.json'), params: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }] }, boosterJson: [], builtinRuntime: notRunnable };
    expect(servingPath(cnn)).toMatchObject({ path: 'deployable', framework: 'pytorch' });
    expect(servingPath({ files: files('model.json', 'metrics.json'), boosterJson: ['model.json'], builtinRuntime: notRunnable })).toMatchObject({ path: 'deployable', framework: 'xgboost', modelFile: 'model.json' });
    // A manifest recorded before the first bytes were read keeps the name rule.
    expect(servingPath({ ...cnn, boosterJson: undefined })).toMatchObject({ path: 'none', reason: expect.stringMatching(/several frameworks/) });
  });
});

describe('params.json the framework scripts would refuse (review 14b findings 3, 6, 8)', () => {
  const torch = (params: Record<string, unknown>) => servingPath({ files: files('net.pt', 'params.json'), params, builtinRuntime: notRunnable });

  it('is none for a TorchScript model without an input shape, and the hint names the keys the script reads', () => {
    const hinted = torch({ input_shape: [1, 28, 28], dtype: 'float32' });
    expect(hinted).toMatchObject({ path: 'none', reason: expect.stringContaining('{"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 1, 28, 28]}]}') });
    expect(servingPath({ files: files('net.pt'), builtinRuntime: notRunnable })).toMatchObject({ path: 'none', reason: expect.stringContaining('"inputs"') });
    expect(torch({})).toMatchObject({ path: 'none' });
  });

  it('is none, with the script\'s words, for values the script refuses', () => {
    expect(torch({ inputs: [{ name: 'x', datatype: 'BYTES', shape: [-1, 1, 28, 28] }] })).toMatchObject({ path: 'none', reason: expect.stringMatching(/unknown datatype in "inputs\[0\].datatype"/) });
    expect(torch({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -5, 28, 28] }] })).toMatchObject({ path: 'none', reason: expect.stringMatching(/list of sizes/) });
    expect(torch({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, '__import__', 28, 28] }] })).toMatchObject({ path: 'none', reason: expect.stringMatching(/list of sizes/) });
    expect(torch({ inputs: [{ name: 'x', shape: [-1, 4] }], softmax: 'yes' })).toMatchObject({ path: 'none', reason: expect.stringMatching(/softmax/) });
    expect(servingPath({ files: files('model.joblib', 'params.json'), params: { labels: 'a,b' }, builtinRuntime: notRunnable })).toMatchObject({ path: 'none', reason: expect.stringMatching(/labels/) });
  });

  it('is none for an image size larger than MLHub prepares', () => {
    expect(torch({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1, 28, 28] }], img_width: 60000, img_height: 60000, img_channels: 1 }))
      .toMatchObject({ path: 'none', reason: expect.stringMatching(/60000×60000 image/) });
  });
});

describe('the serving path under the operator\'s model code setting (review 14b finding 11)', () => {
  const local = { modelCode: { allowed: false, localWorkers: true } };
  const cloud = { modelCode: { allowed: false, localWorkers: false } };
  const torch = { files: files('net.pt', 'params.json'), params: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }] }, builtinRuntime: notRunnable };

  it('is none, saying why and naming the setting, for a pickle when model code is off', () => {
    expect(servingPath({ files: files('model.joblib'), builtinRuntime: notRunnable }, local)).toMatchObject({ path: 'none', reason: expect.stringMatching(/does not load pickles.*MLHUB_ALLOW_MODEL_CODE=1/) });
    expect(servingPath({ files: files('model.joblib'), builtinRuntime: notRunnable }, cloud)).toMatchObject({ path: 'none', reason: expect.stringMatching(/endpointPickles/) });
  });

  it('is none for TorchScript locally, where a model runs with MLHub\'s rights, and deployable in the cloud', () => {
    expect(servingPath(torch, local)).toMatchObject({ path: 'none', reason: expect.stringMatching(/read and write files.*MLHUB_ALLOW_MODEL_CODE=1/) });
    expect(servingPath(torch, cloud)).toMatchObject({ path: 'deployable', framework: 'pytorch' });
    expect(servingPath(torch, { modelCode: { allowed: true, localWorkers: true } })).toMatchObject({ path: 'deployable', framework: 'pytorch' });
  });

  it('leaves XGBoost boosters the scripts check (JSON, UBJ) deployable, and counts a legacy binary one, which they cannot check, as code (review 14c finding 1)', () => {
    expect(servingPath({ files: files('booster.ubj'), builtinRuntime: notRunnable }, local)).toMatchObject({ path: 'deployable', framework: 'xgboost' });
    expect(servingPath({ files: files('model.json'), boosterJson: ['model.json'], builtinRuntime: notRunnable }, local)).toMatchObject({ path: 'deployable', framework: 'xgboost' });
    for (const legacy of ['booster.bst', 'xgb.model']) {
      expect(servingPath({ files: files(legacy), builtinRuntime: notRunnable }, local)).toMatchObject({ path: 'none', reason: expect.stringMatching(/legacy binary format.*MLHUB_ALLOW_MODEL_CODE=1/) });
      expect(servingPath({ files: files(legacy), builtinRuntime: notRunnable }, cloud)).toMatchObject({ path: 'none', reason: expect.stringMatching(/legacy binary format.*endpointPickles/) });
      expect(servingPath({ files: files(legacy), builtinRuntime: notRunnable }, { modelCode: { allowed: true, localWorkers: true } })).toMatchObject({ path: 'deployable' });
    }
  });

  it('is read from MLHUB_ALLOW_MODEL_CODE, else MLHUB_ALLOW_PICKLES, and says nothing when neither is set', () => {
    expect(modelCodePolicy({})).toBeUndefined();
    expect(modelCodePolicy({ MLHUB_ALLOW_PICKLES: '0', MLHUB_DEPLOY_LOCAL_WORKERS: '1' })).toEqual({ allowed: false, localWorkers: true });
    expect(modelCodePolicy({ MLHUB_ALLOW_MODEL_CODE: '1', MLHUB_ALLOW_PICKLES: '0' })).toEqual({ allowed: true, localWorkers: false });
  });
});

describe('deployment names and images', () => {
  it('fit SageMaker, are fixed per version, and differ per upload', () => {
    const name = deploymentName('mlhub-', 'a.very_long model name '.repeat(5), 12, 'models/abc');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^mlhub-[a-zA-Z0-9](-?[a-zA-Z0-9])*$/);
    expect(deploymentName('mlhub-', 'iris', 1, 'models/k1')).toBe(deploymentName('mlhub-', 'iris', 1, 'models/k1'));
    expect(deploymentName('mlhub-', 'iris', 1, 'models/k1')).not.toBe(deploymentName('mlhub-', 'iris', 1, 'models/k2'));
  });

  it('come from the shipped table per region, and a region it lacks is refused by name', () => {
    expect(containerImage('pytorch', 'us-west-2').uri).toBe('763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:1.13.1-cpu-py39');
    expect(containerImage('xgboost', 'cn-north-1').uri).toBe('450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1');
    expect(() => containerImage('tensorflow', 'mars-north-1')).toThrow(/no tensorflow serving image in region mars-north-1/);
  });
});

describe('whether local workers run model code', () => {
  it('is on in dev mode, off with MLHUB_AUTH=required, and MLHUB_ALLOW_MODEL_CODE (or MLHUB_ALLOW_PICKLES) decides when set', () => {
    expect(localPickleSetting({}, true)).toBe(true);
    expect(localPickleSetting({}, false)).toBe(false);
    expect(localPickleSetting({ MLHUB_ALLOW_MODEL_CODE: '1' }, false)).toBe(true);
    expect(localPickleSetting({ MLHUB_ALLOW_MODEL_CODE: '0', MLHUB_ALLOW_PICKLES: '1' }, true)).toBe(false);
    expect(localPickleSetting({ MLHUB_ALLOW_PICKLES: '1' }, false)).toBe(true);
    expect(localPickleSetting({ MLHUB_ALLOW_PICKLES: '0' }, true)).toBe(false);
  });
});
