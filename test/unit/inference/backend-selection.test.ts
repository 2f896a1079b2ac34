import { describe, expect, it } from 'vitest';
import { selectBackend, urlAllowed } from '../../../functions/inference/backend-selection';
import { parseBackendSpec } from '../../../functions/inference/backend-spec';
import { loadInferenceConfig } from '../../../functions/inference/inference-config';
import { readModelParams } from '../../../functions/inference/model-params';
import type { BundleManifest } from '../../../functions/bundles/bundle-manifest';

const manifest = (...paths: string[]): BundleManifest => ({ root: '', fileCount: paths.length, unpackedBytes: 0, files: paths.map((path) => ({ path, size: 1 })) });
const noParams = readModelParams(undefined);

describe('backend specs', () => {
  it('reads each kind with its defaults, aliases and {model} placeholder', () => {
    expect(parseBackendSpec('onnx', 'm')).toEqual({ kind: 'onnxruntime' });
    expect(parseBackendSpec({ kind: 'TF-Serving', url: 'http://tfs:8501/', version: 2 }, 'mnist')).toEqual({ kind: 'tfserving', url: 'http://tfs:8501', model: 'mnist', version: '2' });
    expect(parseBackendSpec({ kind: 'mlserver', url: 'http://ml:8080', model: '{model}-sk' }, 'iris')).toEqual({ kind: 'oip', url: 'http://ml:8080', model: 'iris-sk', datatype: 'FP32' });
    expect(parseBackendSpec({ kind: 'sagemaker', endpoint: 'mlhub-{model}' }, 'mnist')).toEqual({ kind: 'sagemaker', endpoint: 'mlhub-mnist', contentType: 'application/json', jsonFormat: 'instances' });
  });

  it.each([
    [{}, '"kind" must be one of'],
    [{ kind: 'tfserving' }, '"url" is required'],
    [{ kind: 'tfserving', url: 'ftp://x' }, 'http or https'],
    [{ kind: 'torchserve', url: 'http://user:pw@host' }, 'credentials'],
    [{ kind: 'sagemaker', endpoint: 'not valid!' }, 'SageMaker endpoint name'],
    [{ kind: 'oip', url: 'http://x', datatype: 'STRING' }, '"datatype"'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseBackendSpec(raw, 'm')).toThrow(message);
  });
});

describe('urlAllowed', () => {
  const list = ['http://tfs.internal:8501', 'https://serving.example.org/team-a/', 'http://127.0.0.1:*'];
  it.each([
    ['http://tfs.internal:8501', true],
    ['http://tfs.internal:8501/anything', true],
    ['http://tfs.internal:8502', false],
    ['http://tfs.internal', false],
    ['http://tfs.internal.evil.com:8501', false],
    ['https://serving.example.org/team-a', true],
    ['https://serving.example.org/team-a/models', true],
    ['https://serving.example.org/team-ab', false],
    ['https://serving.example.org', false],
    ['http://127.0.0.1:9000', true],
    ['http://169.254.169.254', false],
  ])('%s → %s', (url, allowed) => {
    expect(urlAllowed(url, list)).toBe(allowed);
  });
});

describe('selectBackend', () => {
  const config = loadInferenceConfig({
    MLHUB_BACKEND_TENSORFLOW: '{"kind": "tfserving", "url": "http://tfs:8501"}',
    MLHUB_BACKEND_URL_ALLOWLIST: 'http://torchserve:8080',
    MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST: 'allowed-ep',
  });

  it('prefers the model\'s metadata, then the deployment default for its type, then ONNX in the bundle', () => {
    const meta = { backend: { kind: 'torchserve', url: 'http://torchserve:8080' } };
    expect(selectBackend({ name: 'm', type: 'TensorFlow', meta }, manifest('model.onnx'), noParams, config).kind).toBe('torchserve');
    expect(selectBackend({ name: 'm', type: 'TensorFlow', meta: {} }, manifest('model.onnx'), noParams, config)).toEqual({ kind: 'tfserving', url: 'http://tfs:8501', model: 'm' });
    expect(selectBackend({ name: 'm', type: 'PyTorch', meta: {} }, manifest('net/model.onnx'), noParams, config)).toEqual({ kind: 'onnxruntime' });
  });

  it('answers 409 when nothing can run the model, or the metadata names what is not allowed', () => {
    expect(() => selectBackend({ name: 'm', type: 'PyTorch', meta: {} }, manifest('model.pt'), noParams, config)).toThrow(/MLHUB_BACKEND_PYTORCH/);
    expect(() => selectBackend({ name: 'm', type: 'ONNX', meta: { backend: { kind: 'tfaas', url: 'http://elsewhere:8083' } } }, manifest(), noParams, config)).toThrow(/does not allow/);
    expect(() => selectBackend({ name: 'm', type: 'ONNX', meta: { backend: { kind: 'sagemaker', endpoint: 'other-ep' } } }, manifest(), noParams, config)).toThrow(/other-ep/);
    expect(() => selectBackend({ name: 'm', type: 'ONNX', meta: { backend: { kind: 'quantum' } } }, manifest(), noParams, config)).toThrow(/meta.backend/);
    expect(selectBackend({ name: 'm', type: 'ONNX', meta: { backend: { kind: 'sagemaker', endpoint: 'allowed-ep' } } }, manifest(), noParams, config).kind).toBe('sagemaker');
  });

  it.each([
    [{ kind: 'torchserve', url: 'http://user:pw@torchserve:8080' }, "Model 'm' has a meta.backend that cannot be used: meta.backend.url must not carry credentials"],
    [{ kind: 'torchserve' }, "Model 'm' has a meta.backend that cannot be used: meta.backend.url is required"],
    [{ kind: 'quantum' }, "Model 'm' has a meta.backend that cannot be used: meta.backend.kind must be one of onnxruntime, sagemaker, tfserving, torchserve, oip, tfaas"],
    [{ kind: 'tfserving', url: 'http://torchserve:8080', version: '..' }, 'Model \'m\' has a meta.backend that cannot be used: meta.backend.version must not be ".."'],
    [[1], "Model 'm' has a meta.backend that cannot be used: meta.backend must be an object with a \"kind\""],
  ])('answers 409 invalid_backend naming meta.backend and the field in a sentence: %j', (backend, message) => {
    let caught: unknown;
    try {
      selectBackend({ name: 'm', type: 'ONNX', meta: { backend } }, manifest(), noParams, config);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'invalid_backend', message });
  });

  it("refuses a meta.backend naming an endpoint under MLHub's deploy prefix, whatever the allow-list says", () => {
    const open = loadInferenceConfig({ MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST: '*' });
    for (const endpoint of ['mlhub-deploy-secret-v1-123c3a13db', 'MLHUB-DEPLOY-secret-v1-123c3a13db']) {
      for (const rules of [config, open, loadInferenceConfig({})]) {
        expect(() => selectBackend({ name: 'steal', type: 'ONNX', meta: { backend: { kind: 'sagemaker', endpoint } } }, manifest(), noParams, rules))
          .toThrow(expect.objectContaining({ code: 'backend_not_allowed', message: expect.stringMatching(/version's own deployment/) }));
      }
    }
    expect(selectBackend({ name: 'm', type: 'ONNX', meta: { backend: { kind: 'sagemaker', endpoint: 'mlhub-deployed-elsewhere' } } }, manifest(), noParams, open).kind).toBe('sagemaker');
  });

  it('says a version whose deployment failed failed, with the reason, instead of inviting a deploy (review 14b finding 6)', () => {
    const failed = { version: 1, deployment: { state: 'failed' as const, endpoint: 'mlhub-deploy-pt1-v1-abc', reason: 'unknown datatype in "inputs[0].datatype"' } };
    expect(() => selectBackend({ name: 'pt1', type: 'ScikitLearn', meta: {} }, manifest('model.joblib'), noParams, config, failed))
      .toThrow(/Version 1 of model 'pt1' failed to deploy \(unknown datatype in "inputs\[0\].datatype"\)/);
    expect(() => selectBackend({ name: 'pt1', type: 'ScikitLearn', meta: {} }, manifest('model.joblib'), noParams, config, { version: 1 })).toThrow(/runs once deployed/);
  });

  it('picks params.json\'s model file among several .onnx files, or answers 409', () => {
    expect(selectBackend({ name: 'm', type: 'ONNX', meta: {} }, manifest('a.onnx', 'b.onnx'), readModelParams({ model: 'b.onnx' }), config).kind).toBe('onnxruntime');
    expect(() => selectBackend({ name: 'm', type: 'ONNX', meta: {} }, manifest('a.onnx', 'b.onnx'), noParams, config)).toThrow(/several .onnx files/);
  });
});

describe('loadInferenceConfig', () => {
  it('has working defaults', () => {
    const config = loadInferenceConfig({});
    expect(config.deadlineMs).toBe(25_000);
    expect(config.modelCacheDir).toMatch(/mlhub-models-[0-9]+$/);
    expect(config.allowedBackendUrls).toEqual([]);
    expect(config.allowedSageMakerEndpoints).toBeUndefined();
    expect(config.defaultBackends).toEqual({});
  });

  it('reads every variable and fails fast on bad ones', () => {
    const config = loadInferenceConfig({
      MLHUB_PREDICT_DEADLINE_MS: '5000', MLHUB_MODEL_CACHE_DIR: '/tmp/x', MLHUB_MODEL_CACHE_BYTES: '4096', MLHUB_ONNX_SESSION_CACHE_BYTES: '2048',
      MLHUB_PREDICT_MAX_ELEMENTS: '10', MLHUB_PREDICT_MAX_IMAGE_BYTES: '20', MLHUB_PREDICT_MAX_IMAGE_PIXELS: '30',
      MLHUB_BACKEND_ONNX: 'onnxruntime', MLHUB_BACKEND_SCIKITLEARN: '{"kind":"oip","url":"http://mlserver:8080"}',
    });
    expect(config).toMatchObject({ deadlineMs: 5000, modelCacheDir: '/tmp/x', modelCacheBytes: 4096, sessionCacheBytes: 2048, limits: { maxInputElements: 10, maxImageBytes: 20, maxImagePixels: 30 } });
    expect(config.defaultBackends).toEqual({ ONNX: 'onnxruntime', ScikitLearn: { kind: 'oip', url: 'http://mlserver:8080' } });
    expect(() => loadInferenceConfig({ MLHUB_PREDICT_DEADLINE_MS: 'soon' })).toThrow(/MLHUB_PREDICT_DEADLINE_MS/);
    // The count the byte budget replaced is refused, naming its successor.
    expect(() => loadInferenceConfig({ MLHUB_ONNX_SESSION_CACHE_SIZE: '8' })).toThrow(/MLHUB_ONNX_SESSION_CACHE_SIZE is no longer read: .*set MLHUB_ONNX_SESSION_CACHE_BYTES/);
    expect(() => loadInferenceConfig({ MLHUB_BACKEND_KERAS: '{"kind": "tfserving"}' })).toThrow(/MLHUB_BACKEND_KERAS: the backend "url" is required/);
    expect(() => loadInferenceConfig({ MLHUB_BACKEND_KERAS: '{oops' })).toThrow(/not valid JSON/);
  });
});
