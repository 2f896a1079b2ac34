import type { DeployableFramework } from './serving-path';

/**
 * The operator's opt-in to running uploaded model code, and where deployed models run.
 *
 * A pickle (scikit-learn) runs what it names when loaded; a TorchScript or TensorFlow graph is a
 * program too, whose ops read and write files (torch.from_file, tf.io.read_file). In the cloud
 * each endpoint is its own network-isolated container whose role reads only its bundle, so graphs
 * are safe to run there and only pickles need the opt-in (the stack's `endpointPickles`).
 * Locally a deployed model runs as a process of MLHub's own user, able to read the data folder
 * (the issuer's key, every bundle): every kind of model code then needs the opt-in
 * (MLHUB_ALLOW_MODEL_CODE, on by default only in single-user dev mode). XGBoost boosters are data.
 */
export const MODEL_CODE_ENV = {
  /** 1/true/yes/on: model code may run (see above). */
  allowed: 'MLHUB_ALLOW_MODEL_CODE',
  /** Its earlier name, which covered pickles only; still read when the new one is unset. */
  legacyPickles: 'MLHUB_ALLOW_PICKLES',
  /** 1: deployed models run as local processes of MLHub's user (`npm start` sets it). */
  localWorkers: 'MLHUB_DEPLOY_LOCAL_WORKERS',
} as const;

export interface ModelCodePolicy {
  /** Whether model code may run (the operator's setting). */
  readonly allowed: boolean;
  /** Whether deployed models run as local processes sharing MLHub's rights (not isolated containers). */
  readonly localWorkers: boolean;
}

const flag = (raw: string | undefined): boolean => ['1', 'true', 'yes', 'on'].includes((raw ?? '').trim().toLowerCase());

/** The setting's raw value: MLHUB_ALLOW_MODEL_CODE, else MLHUB_ALLOW_PICKLES; undefined when neither is set. */
export function modelCodeSetting(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[MODEL_CODE_ENV.allowed]?.trim() || env[MODEL_CODE_ENV.legacyPickles]?.trim();
  return raw === '' ? undefined : raw;
}

/** The policy this process was configured with; undefined when the environment says nothing (then nothing is refused ahead of deploy). */
export function modelCodePolicy(env: NodeJS.ProcessEnv = process.env): ModelCodePolicy | undefined {
  const raw = modelCodeSetting(env);
  if (raw === undefined) return undefined;
  return { allowed: flag(raw), localWorkers: flag(env[MODEL_CODE_ENV.localWorkers]) };
}

/**
 * A booster in XGBoost's legacy binary format (`.bst`, `.model`, …): the scripts check JSON and
 * UBJ boosters' trees before XGBoost reads them (mlhub_serving/booster_check.py), but cannot check
 * this one, whose crafted indices read memory out of bounds; so it counts as code.
 */
const isLegacyBooster = (modelFile: string | undefined): boolean => modelFile !== undefined && !/\.(json|ubj)$/i.test(modelFile);

/**
 * The model files that are code: always pickles and unchecked boosters (the scripts refuse those
 * without the setting, in an endpoint's container too); locally, graphs too.
 */
const isCode = (framework: DeployableFramework, policy: ModelCodePolicy, modelFile: string | undefined): boolean =>
  framework === 'sklearn' || (framework === 'xgboost' && isLegacyBooster(modelFile)) || (policy.localWorkers && (framework === 'pytorch' || framework === 'tensorflow'));

/**
 * Why a model of `framework` (in `modelFile`, relative to the bundle's root) cannot be deployed
 * under `policy`, naming the setting that would allow it; undefined when it can.
 */
export function modelCodeRefusal(framework: DeployableFramework, policy: ModelCodePolicy | undefined, modelFile?: string): string | undefined {
  if (!policy || policy.allowed || !isCode(framework, policy, modelFile)) return undefined;
  const setting = policy.localWorkers ? `${MODEL_CODE_ENV.allowed}=1` : 'the stack option endpointPickles';
  if (framework === 'sklearn') {
    return `A scikit-learn model is a pickle, which runs code when it is loaded, and this MLHub does not load pickles: export the model to ONNX (the built-in runtime runs it with no deploy), or ask the operator to turn on ${setting}`;
  }
  if (framework === 'xgboost') {
    return `An XGBoost booster in the legacy binary format cannot be checked before XGBoost reads it (a crafted one reads memory out of bounds), so it is model code, which this MLHub does not run: save it as JSON or UBJ (booster.save_model("model.json")), or ask the operator to turn on ${setting}`;
  }
  const kind = framework === 'pytorch' ? 'A TorchScript model' : 'A TensorFlow SavedModel';
  return `${kind} is a program whose ops can read and write files, and this MLHub runs deployed models locally with its own rights, shared by all its users: it runs them only when the operator sets ${setting}. Export the model to ONNX (the built-in runtime runs it with no deploy), or ask the operator`;
}
