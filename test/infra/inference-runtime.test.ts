import { describe, expect, it } from 'vitest';
import { selectBackend, urlAllowed } from '../../functions/inference/backend-selection';
import { INFERENCE_ENV, loadInferenceConfig } from '../../functions/inference/inference-config';
import { readModelParams } from '../../functions/inference/model-params';
import { readStackConfig, type StackOption } from '../../lib/config/stack-config';
import { inferenceEnvironment, sagemakerEndpointAllowlist } from '../../lib/functions/inference-runtime';

const ARN = (name: string) => `arn:aws:sagemaker:eu-west-1:123456789012:endpoint/${name}`;

/** The inference environment from stack options given as `-c key=value`, and what the engine makes of it. */
function deployed(given: Partial<Record<StackOption, string>>, timeoutSeconds = 28) {
  const config = readStackConfig((option) => given[option]);
  const environment = inferenceEnvironment({ modelBackends: config.modelBackends, backendUrlAllowlist: config.backendUrlAllowlist, timeoutSeconds, memoryMb: 2048 });
  return { environment, engine: loadInferenceConfig(environment) };
}

const manifest = { root: '', fileCount: 1, unpackedBytes: 10, files: [{ path: 'model.onnx', size: 10 }] };
const modelNaming = (backend: unknown) => ({ name: 'm', type: 'ONNX' as const, meta: { backend } });

describe('the inference environment of the functions that predict', () => {
  it('with no options: models in the built-in ONNX Runtime, /tmp for their files, no URL and no SageMaker endpoint a model may name', () => {
    const { environment, engine } = deployed({});
    expect(environment).toEqual({
      [INFERENCE_ENV.modelCacheDir]: '/tmp/mlhub-models',
      // 3 GiB of the 4 GB of /tmp, and half of the 2048 MB for sessions.
      [INFERENCE_ENV.modelCacheBytes]: String(3 * 1024 ** 3),
      [INFERENCE_ENV.sessionCacheBytes]: String(1024 ** 3),
      [INFERENCE_ENV.deadlineMs]: '25000',
      [INFERENCE_ENV.allowedBackendUrls]: '',
      [INFERENCE_ENV.allowedSageMakerEndpoints]: '',
    });
    expect(engine.defaultBackends).toEqual({});
    expect(engine.allowedBackendUrls).toEqual([]);
    expect(engine.allowedSageMakerEndpoints).toEqual([]);
    expect(selectBackend({ name: 'm', type: 'ONNX', meta: {} }, manifest, readModelParams(undefined), engine)).toEqual({ kind: 'onnxruntime' });
    // Refused by MLHub (409), rather than denied by IAM (502).
    expect(() => selectBackend(modelNaming({ kind: 'sagemaker', endpoint: 'anything' }), manifest, readModelParams(undefined), engine)).toThrow(/does not allow/);
  });

  it('sets MLHUB_BACKEND_<TYPE> to each type\'s default exactly as given, a bare kind included', () => {
    const tfserving = { kind: 'tfserving', url: 'https://tfs.example.org', model: '{model}', signature_name: 'serving_default' };
    const { environment, engine } = deployed({ modelBackends: JSON.stringify({ TensorFlow: tfserving, ONNX: 'onnxruntime' }) });
    expect(environment.MLHUB_BACKEND_TENSORFLOW).toBe(JSON.stringify(tfserving));
    expect(environment.MLHUB_BACKEND_ONNX).toBe('onnxruntime');
    expect(Object.keys(environment).filter((name) => name.startsWith('MLHUB_BACKEND_') && name !== INFERENCE_ENV.allowedBackendUrls).sort()).toEqual(['MLHUB_BACKEND_ONNX', 'MLHUB_BACKEND_TENSORFLOW']);
    expect(engine.defaultBackends).toEqual({ TensorFlow: tfserving, ONNX: 'onnxruntime' });
    expect(selectBackend({ name: 'inception', type: 'TensorFlow', meta: {} }, manifest, readModelParams(undefined), engine))
      .toEqual({ kind: 'tfserving', url: 'https://tfs.example.org', model: 'inception', signatureName: 'serving_default' });
  });

  it('lists the endpoints of exact ARNs for models to name, and leaves patterns to IAM', () => {
    const exact = deployed({ modelBackends: JSON.stringify({ Keras: { sagemakerEndpointArns: [ARN('keras-prod'), ARN('keras-canary')] } }) });
    expect(exact.environment[INFERENCE_ENV.allowedSageMakerEndpoints]).toBe('keras-prod,keras-canary');
    expect(exact.engine.allowedSageMakerEndpoints).toEqual(['keras-prod', 'keras-canary']);
    expect(selectBackend(modelNaming({ kind: 'sagemaker', endpoint: 'keras-prod' }), manifest, readModelParams(undefined), exact.engine)).toMatchObject({ endpoint: 'keras-prod' });
    expect(() => selectBackend(modelNaming({ kind: 'sagemaker', endpoint: 'keras-staging' }), manifest, readModelParams(undefined), exact.engine)).toThrow(/does not allow/);

    expect(sagemakerEndpointAllowlist([ARN('keras-prod'), ARN('torch-*')])).toBe('*');
    const patterns = deployed({ modelBackends: JSON.stringify({ PyTorch: { sagemakerEndpointArns: [ARN('torch-*')] }, Keras: { sagemakerEndpointArns: [ARN('keras-prod')] } }) });
    expect(patterns.engine.allowedSageMakerEndpoints).toBeUndefined();
  });

  it('passes the URL allow-list on as the engine reads it: allowed origins and prefixes pass, look-alikes do not', () => {
    const { environment, engine } = deployed({ backendUrlAllowlist: 'https://tfs.example.org/v1, http://127.0.0.1:*' });
    expect(environment[INFERENCE_ENV.allowedBackendUrls]).toBe('https://tfs.example.org/v1,http://127.0.0.1:*');
    for (const url of ['https://tfs.example.org/v1', 'https://tfs.example.org/v1/models/m', 'http://127.0.0.1:8501']) expect(urlAllowed(url, engine.allowedBackendUrls), url).toBe(true);
    for (const url of ['https://tfs.example.org/v2', 'https://tfs.example.org.evil.test/v1', 'http://tfs.example.org/v1', 'https://127.0.0.1:8501']) expect(urlAllowed(url, engine.allowedBackendUrls), url).toBe(false);
    expect(selectBackend(modelNaming({ kind: 'torchserve', url: 'http://127.0.0.1:8080' }), manifest, readModelParams(undefined), engine)).toMatchObject({ kind: 'torchserve' });
  });

  it('keeps the deadline inside the function\'s timeout, at most the engine\'s default', () => {
    expect(deployed({}, 10).engine.deadlineMs).toBe(8000);
    expect(deployed({}, 29).engine.deadlineMs).toBe(25_000);
  });

  it('refuses a configuration that would not fit in Lambda\'s 4 KB of environment', () => {
    const hosts = Array.from({ length: 120 }, (_, i) => `https://backend-${i}.inference.example.org`).join(',');
    expect(() => deployed({ backendUrlAllowlist: hosts })).toThrow(/Lambda allows 4096/);
  });
});
