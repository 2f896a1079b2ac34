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
  const environment = inferenceEnvironment({ modelBackends: config.modelBackends, backendUrlAllowlist: config.backendUrlAllowlist, backendAssignments: config.backendAssignments, timeoutSeconds, memoryMb: 2048 });
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

  it('lists the endpoints of exact ARNs for models to name; an ARN pattern lets no model name an endpoint under it', () => {
    const exact = deployed({ modelBackends: JSON.stringify({ Keras: { sagemakerEndpointArns: [ARN('keras-prod'), ARN('keras-canary')] } }) });
    expect(exact.environment[INFERENCE_ENV.allowedSageMakerEndpoints]).toBe('keras-prod,keras-canary');
    expect(exact.engine.allowedSageMakerEndpoints).toEqual(['keras-prod', 'keras-canary']);
    expect(selectBackend(modelNaming({ kind: 'sagemaker', endpoint: 'keras-prod' }), manifest, readModelParams(undefined), exact.engine)).toMatchObject({ endpoint: 'keras-prod' });
    expect(() => selectBackend(modelNaming({ kind: 'sagemaker', endpoint: 'keras-staging' }), manifest, readModelParams(undefined), exact.engine)).toThrow(/does not allow/);

    const patterns = deployed({ modelBackends: JSON.stringify({ PyTorch: { sagemakerEndpointArns: [ARN('torch-*')] }, Keras: { sagemakerEndpointArns: [ARN('keras-prod')] } }) });
    expect(sagemakerEndpointAllowlist(readStackConfig((option) => (option === 'modelBackends' ? JSON.stringify({ PyTorch: { sagemakerEndpointArns: [ARN('torch-*')] } }) : undefined)).modelBackends)).toBe('');
    expect(patterns.engine.allowedSageMakerEndpoints).toEqual(['keras-prod']);
    expect(() => selectBackend(modelNaming({ kind: 'sagemaker', endpoint: 'torch-m' }), manifest, readModelParams(undefined), patterns.engine)).toThrow(/does not allow/);
  });

  it('gives each model the endpoint its type\'s {model} default names after it, and no other (the README\'s example)', () => {
    const { environment, engine } = deployed({
      modelBackends: JSON.stringify({ PyTorch: { kind: 'sagemaker', endpoint: 'mlhub-torch-{model}', sagemakerEndpointArns: [ARN('mlhub-torch-*'), ARN('mlhub-shared'), ARN('mlhub-gpu-*')] } }),
      backendAssignments: JSON.stringify({ 'resnet-50': { owner: 'olive', backends: ['mlhub-gpu-1'] }, mnist: { owner: 'olive', backends: ['https://tfs.example.org/v1/models/mnist'] } }),
    });
    expect(environment[INFERENCE_ENV.allowedSageMakerEndpoints]).toBe('mlhub-shared,mlhub-torch-{model}');
    expect(JSON.parse(environment[INFERENCE_ENV.backendAssignments] as string)).toEqual({ 'resnet-50': { owner: 'olive', backends: ['mlhub-gpu-1'] }, mnist: { owner: 'olive', backends: ['https://tfs.example.org/v1/models/mnist'] } });
    const naming = (name: string, endpoint: string, owner = 'olive') => selectBackend({ name, owner, type: 'ONNX', meta: { backend: { kind: 'sagemaker', endpoint } } }, manifest, readModelParams(undefined), engine);
    expect(naming('resnet', 'mlhub-torch-resnet')).toMatchObject({ endpoint: 'mlhub-torch-resnet' });
    expect(() => naming('resnet', 'mlhub-torch-resnet-50')).toThrow(/reserves for another model/);
    expect(naming('resnet-50', 'mlhub-gpu-1')).toMatchObject({ endpoint: 'mlhub-gpu-1' });
    expect(() => naming('resnet-50', 'mlhub-gpu-1', 'carol')).toThrow(/does not allow/);
    expect(() => naming('resnet', 'mlhub-gpu-1')).toThrow(/does not allow/);
    expect(naming('resnet', 'mlhub-shared')).toMatchObject({ endpoint: 'mlhub-shared' });
    // An exact ARN given to one model is that model's alone.
    const single = deployed({
      modelBackends: JSON.stringify({ PyTorch: { sagemakerEndpointArns: [ARN('mlhub-shared'), ARN('mlhub-gpu-resnet')] } }),
      backendAssignments: JSON.stringify({ resnet: { owner: 'olive', backends: ['mlhub-gpu-resnet'] } }),
    });
    expect(single.environment[INFERENCE_ENV.allowedSageMakerEndpoints]).toBe('mlhub-shared');
    const namingIn = (name: string, endpoint: string) => selectBackend({ name, owner: 'olive', type: 'ONNX', meta: { backend: { kind: 'sagemaker', endpoint } } }, manifest, readModelParams(undefined), single.engine);
    expect(namingIn('resnet', 'mlhub-gpu-resnet')).toMatchObject({ endpoint: 'mlhub-gpu-resnet' });
    expect(() => namingIn('mnist', 'mlhub-gpu-resnet')).toThrow(/does not allow/);
  });

  it.each<[Partial<Record<StackOption, string>>, RegExp]>([
    [{ modelBackends: JSON.stringify({ PyTorch: { kind: 'sagemaker', endpoint: 'mlhub-torch-{model}', sagemakerEndpointArns: [ARN('mlhub-torch-*'), ARN('mlhub-torch-prod')] } }) },
      /^Invalid stack option 'modelBackends' .*: the shared endpoint 'mlhub-torch-prod' falls under the per-model pattern 'mlhub-torch-\{model\}'/],
    [{ backendUrlAllowlist: 'https://tfs.example.org,https://tfs.example.org/v1/models/{model}' }, /^Invalid stack option 'backendUrlAllowlist' .*: the shared entry 'https:\/\/tfs.example.org' overlaps/],
    [{ modelBackends: JSON.stringify({ PyTorch: { kind: 'sagemaker', endpoint: 'mlhub-torch-{model}', sagemakerEndpointArns: [ARN('mlhub-torch-*')] } }), backendAssignments: '{"a": {"owner": "olive", "backends": ["mlhub-torch-b"]}}' },
      /^Invalid stack option 'backendAssignments' .*: 'mlhub-torch-b', assigned to model 'a', is what 'mlhub-torch-\{model\}' \(modelBackends\) reserves for model 'b'/],
    [{ backendAssignments: '{"a": {"owner": "olive", "backends": ["team-ep"]}}' }, /^Invalid stack option 'backendAssignments' .*: model 'a': the endpoint 'team-ep' falls under no "sagemakerEndpointArns"/],
    [{ backendAssignments: '{"a/b": {"owner": "olive", "backends": ["https://tfs.example.org"]}}' }, /^Invalid stack option 'backendAssignments' .*: 'a\/b' is not a model name/],
    [{ backendAssignments: '["a"]' }, /^Invalid stack option 'backendAssignments' .*: expected a JSON object/],
  ])('refuses conflicting backend options at synth: %j', (given, message) => {
    expect(() => deployed(given)).toThrow(message);
  });

  it("lists each default server's per-model address, so a model may name its own there and a shared entry may not open another's", () => {
    const modelBackends = JSON.stringify({
      TensorFlow: { kind: 'tfserving', url: 'https://tfserving.example.org', model: '{model}' },
      PyTorch: { kind: 'torchserve', url: 'https://torchserve.example.org:8443/serve' },
      ONNX: { kind: 'oip', url: 'https://triton.example.org', model: 'onnx-{model}' },
      Keras: { kind: 'tfaas', url: 'https://tfaas.example.org' },
    });
    const { environment, engine } = deployed({ modelBackends, backendUrlAllowlist: 'https://tfs.example.org' });
    expect(environment[INFERENCE_ENV.allowedBackendUrls]).toBe('https://tfs.example.org,https://tfserving.example.org/v1/models/{model},https://torchserve.example.org:8443/serve/predictions/{model}');
    const naming = (name: string, backend: unknown) => selectBackend({ name, type: 'ONNX', meta: { backend } }, manifest, readModelParams(undefined), engine);
    expect(naming('mnist', { kind: 'tfserving', url: 'https://tfserving.example.org', version: 2 })).toMatchObject({ model: 'mnist', version: '2' });
    expect(() => naming('mnist', { kind: 'tfserving', url: 'https://tfserving.example.org', model: 'resnet' })).toThrow(/reserves for another model/);
    expect(() => naming('mnist', { kind: 'oip', url: 'https://triton.example.org' })).toThrow(/does not allow/);
    expect(() => deployed({ modelBackends, backendUrlAllowlist: 'https://tfserving.example.org' }))
      .toThrow(/^Invalid stack option 'backendUrlAllowlist' .*: the shared entry 'https:\/\/tfserving.example.org' overlaps the per-model pattern 'https:\/\/tfserving.example.org\/v1\/models\/\{model\}'/);
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
