import type { BundleManifest } from '../../bundles/bundle-manifest';
import type { ModelType } from '../../registry/model-type';
import type { BackendKind, BackendSpec } from '../backend-spec';
import type { InputLimits } from '../inference-config';
import type { ModelParams } from '../model-params';
import type { PredictInput } from '../predict-input';
import type { RowPrediction } from '../predictions';

/** The version of a model that predicts: a ready bundle, addressed by its storage key and sha256. */
export interface ModelVersionRef {
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
  readonly bundleKey: string;
  readonly manifest: BundleManifest;
}

/** Everything a backend needs for one prediction, already resolved by the engine. */
export interface PredictJob<Spec extends BackendSpec = BackendSpec> {
  readonly spec: Spec;
  readonly modelName: string;
  readonly modelType: ModelType;
  readonly version: ModelVersionRef;
  readonly params: ModelParams;
  readonly input: PredictInput;
  readonly limits: InputLimits;
  /** Aborts when the deadline passes; backends hand it to their transport. */
  readonly signal: AbortSignal;
}

/**
 * A way to run a model: MLHub's request in, one prediction per input row out. Each backend
 * translates to and from its own protocol and raises AppErrors: `invalid` for input the model
 * cannot take, `bad_gateway` when the backend fails, `timeout` when the signal aborts.
 */
export interface InferenceBackend<Spec extends BackendSpec = BackendSpec> {
  readonly kind: BackendKind;
  predict(job: PredictJob<Spec>): Promise<RowPrediction[]>;
  /**
   * What this backend was still doing for `job` when its deadline passed, if worth telling the
   * caller (e.g. still downloading the model on a cold start); said in the 504's message.
   */
  timeoutDetail?(job: PredictJob<Spec>): string | undefined;
}
