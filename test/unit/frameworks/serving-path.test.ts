import { describe, expect, it } from 'vitest';
import { deploymentName } from '../../../functions/frameworks/deployment-records';
import { containerImage } from '../../../functions/frameworks/container-images';
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
    expect(servingPath({ files: files('net.pt', 'params.json'), params: { input_shape: [1, 28, 28] }, builtinRuntime: notRunnable })).toMatchObject({ framework: 'pytorch' });
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

describe('whether local workers load pickles', () => {
  it('is on in dev mode, off with MLHUB_AUTH=required, and MLHUB_ALLOW_PICKLES decides when set', () => {
    expect(localPickleSetting({}, true)).toBe(true);
    expect(localPickleSetting({}, false)).toBe(false);
    expect(localPickleSetting({ MLHUB_ALLOW_PICKLES: '1' }, false)).toBe(true);
    expect(localPickleSetting({ MLHUB_ALLOW_PICKLES: '0' }, true)).toBe(false);
  });
});
