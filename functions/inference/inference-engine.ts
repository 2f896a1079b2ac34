import type { Deployment } from '../frameworks/deployment-records';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { BundleManifest } from '../bundles/bundle-manifest';
import { conflict } from '../errors/app-error';
import type { VersionStatus } from '../versions/version-records';
import type { BackendKind, BackendSpec } from './backend-spec';
import { backendTimeout } from './backends/backend-failures';
import type { Fetch } from './backends/http-transport';
import type { InferenceBackend, ModelVersionRef, PredictJob } from './backends/inference-backend';
import { OnnxRuntimeBackend } from './backends/onnx-runtime-backend';
import { OpenInferenceBackend } from './backends/open-inference-backend';
import { SageMakerBackend } from './backends/sagemaker-backend';
import { TfServingBackend } from './backends/tf-serving-backend';
import { TfaasBackend } from './backends/tfaas-backend';
import { TorchServeBackend } from './backends/torchserve-backend';
import { selectBackend, type ModelIdentity } from './backend-selection';
import type { InferenceConfig } from './inference-config';
import { ModelFileCache, type OpenBundle } from './model-file-cache';
import { readModelParams } from './model-params';
import { needsDeployment } from './deployment-need';
import type { PredictInput } from './predict-input';
import { labelPredictions, type PredictionResponse } from './predictions';

/** The version to run, as the registry records it (a VersionRecord fits). */
export interface VersionToRun {
  readonly version: number;
  readonly sha256: string;
  readonly bundleKey: string;
  readonly status?: VersionStatus;
  readonly manifest?: BundleManifest;
  /** Its own SageMaker endpoint, once deployed: predictions run there (backend-selection.ts). */
  readonly deployment?: Pick<Deployment, 'state' | 'endpoint' | 'reason'>;
}

export interface PredictRequest {
  readonly model: ModelIdentity;
  readonly version: VersionToRun;
  readonly input: PredictInput;
  /** A shorter deadline than the configured one, e.g. what is left of the Lambda invocation. */
  readonly deadlineMs?: number;
  /** Aborts the prediction early, e.g. when the client went away. */
  readonly signal?: AbortSignal;
}

export interface InferenceEngineOptions {
  readonly config: InferenceConfig;
  /** Opens a stored bundle by its key; only the built-in ONNX Runtime needs it. */
  readonly openBundle: OpenBundle;
  /** Needed only for models served by SageMaker. */
  readonly sagemaker?: SageMakerRuntimeClient;
  /** The HTTP client for TF Serving, TorchServe, OIP and TFaaS; the global fetch by default. */
  readonly fetch?: Fetch;
  /** Told of every prediction a backend ran or failed, with the backend's time in milliseconds (for metrics). */
  readonly onPrediction?: (outcome: PredictionOutcome) => void;
}

export interface PredictionOutcome {
  readonly backend: BackendKind;
  readonly latencyMs: number;
  readonly ok: boolean;
}

/**
 * Rejects with a 504 when the signal aborts first, even if the work itself cannot be cancelled;
 * `detail()` says what the backend was still doing then.
 */
function underDeadline<T>(work: Promise<T>, signal: AbortSignal, kind: BackendKind, deadlineMs: number, detail: () => string | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(backendTimeout(kind, deadlineMs, signal.reason, detail()));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, (error: unknown) => reject(signal.aborted ? backendTimeout(kind, deadlineMs, error, detail()) : error))
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs predictions: picks the model's backend, gives it the request under a deadline, and
 * shapes the answer as `{"model", "version", "predictions"}` with labels from the bundle.
 * One engine per process: it holds the ONNX sessions and the model file cache.
 */
export class InferenceEngine {
  private readonly backends: { readonly [Kind in BackendKind]: InferenceBackend<Extract<BackendSpec, { kind: Kind }>> };

  constructor(private readonly options: InferenceEngineOptions) {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const files = new ModelFileCache({ directory: options.config.modelCacheDir, openBundle: options.openBundle, maxBytes: options.config.modelCacheBytes });
    this.backends = {
      onnxruntime: new OnnxRuntimeBackend(files, options.config.sessionCacheBytes),
      sagemaker: new SageMakerBackend(options.sagemaker),
      tfserving: new TfServingBackend(fetchImpl),
      torchserve: new TorchServeBackend(fetchImpl),
      oip: new OpenInferenceBackend(fetchImpl),
      tfaas: new TfaasBackend(fetchImpl),
    };
  }

  /** Whether a version runs only on a deployment of its own (deployment-need.ts). */
  needsDeployment(model: ModelIdentity, version: VersionToRun): boolean {
    return needsDeployment(model, version, this.options.config);
  }

  async predict(request: PredictRequest): Promise<PredictionResponse> {
    const { model, version, input } = request;
    if ((version.status !== undefined && version.status !== 'ready') || !version.manifest) {
      throw conflict('no_ready_bundle', `Version ${version.version} of model '${model.name}' has no ready bundle to predict with`);
    }
    const manifest = version.manifest;
    const params = readModelParams(manifest.params);
    const spec = selectBackend(model, manifest, params, this.options.config, { version: version.version, ...(version.deployment ? { deployment: version.deployment } : {}) });
    const deadlineMs = Math.max(1, Math.min(this.options.config.deadlineMs, request.deadlineMs ?? Infinity));
    const signals = [AbortSignal.timeout(deadlineMs), ...(request.signal ? [request.signal] : [])];
    const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    const ref: ModelVersionRef = { name: model.name, version: version.version, sha256: version.sha256, bundleKey: version.bundleKey, manifest };
    const job: PredictJob = { spec, modelName: model.name, modelType: model.type, version: ref, params, input, limits: this.options.config.limits, signal };
    const backend = this.backends[spec.kind] as InferenceBackend;
    const started = performance.now();
    const report = (ok: boolean) => this.options.onPrediction?.({ backend: spec.kind, latencyMs: performance.now() - started, ok });
    let rows;
    try {
      rows = await underDeadline(backend.predict(job), signal, spec.kind, deadlineMs, () => backend.timeoutDetail?.(job));
    } catch (error) {
      report(false);
      throw error;
    }
    report(true);
    return { model: model.name, version: version.version, predictions: labelPredictions(rows, manifest.labels, params) };
  }
}
