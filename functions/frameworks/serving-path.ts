import type { BundleManifest } from '../bundles/bundle-manifest';
import { SERVING_SKLEARN_VERSION } from './container-images';
import { frameworkParamsProblem } from './framework-params';
import { modelCodeRefusal, type ModelCodePolicy } from './model-code';

/** The frameworks MLHub can deploy (functions/frameworks/scripts/<framework>/inference.py serves each). */
export const DEPLOYABLE_FRAMEWORKS = ['sklearn', 'xgboost', 'pytorch', 'tensorflow'] as const;
export type DeployableFramework = (typeof DEPLOYABLE_FRAMEWORKS)[number];

/**
 * Where a bundle's predictions can come from, decided from its manifest (and the model's
 * meta.backend) when the version is read:
 * - `builtin`: MLHub's ONNX Runtime runs it with no deploy step;
 * - `deployable`: `POST …/deploy` gives it an endpoint running the framework's inference.py;
 * - `remote`: the model's meta.backend names the backend that serves it;
 * - `none`: nothing can, and `reason` says why and what to add.
 */
export type ServingPath =
  | { readonly path: 'builtin' }
  | { readonly path: 'deployable'; readonly framework: DeployableFramework; readonly modelFile: string; readonly warning?: string }
  | { readonly path: 'remote' }
  | { readonly path: 'none'; readonly reason: string };

/** The serving path as the API shows it (`serving` on a version): snake-case, undefined members left out. */
export interface ServingView {
  readonly path: ServingPath['path'];
  readonly framework?: DeployableFramework;
  readonly reason?: string;
  readonly warning?: string;
}

const base = (path: string): string => path.split('/').pop() ?? path;
const lower = (path: string): string => path.toLowerCase();

/** Sidecars and metadata a .json model file is never: params.json, and the names tools write beside models. */
const NOT_XGBOOST_JSON = new Set(['params.json', 'config.json', 'metadata.json', 'labels.json', 'package.json', 'tokenizer.json', 'codemeta.json']);

/**
 * Each framework's model files, by name (compared lowercased):
 * - tensorflow: a SavedModel's `saved_model.pb` (at the root or in a numbered version folder);
 * - pytorch: a TorchScript file `.pt`, `.pth` or `.torchscript`;
 * - xgboost: a booster as `.ubj`, `.bst` or legacy binary `.model`, or JSON: a `.json` whose first
 *   bytes are a booster's (`boosters`, read at upload: booster-json.ts); for a manifest recorded
 *   before those were read, any `.json` that is not params.json or another known sidecar;
 * - sklearn: `.joblib`, `.pkl` or `.pickle`.
 */
const MODEL_FILES: Readonly<Record<DeployableFramework, (path: string, boosters?: readonly string[]) => boolean>> = {
  tensorflow: (path) => base(lower(path)) === 'saved_model.pb',
  pytorch: (path) => /\.(pt|pth|torchscript)$/.test(lower(path)),
  xgboost: (path, boosters) => /\.(ubj|bst|model)$/.test(lower(path))
    || (lower(path).endsWith('.json') && (boosters ? boosters.some((booster) => lower(booster) === lower(path)) : !NOT_XGBOOST_JSON.has(base(lower(path))))),
  sklearn: (path) => /\.(joblib|pkl|pickle)$/.test(lower(path)),
};

/** Whether `path` (a bundle-relative file path) is a model file of `framework`, by MODEL_FILES' rules (`boosters`: the manifest's boosterJson). */
export const isModelFileOf = (framework: DeployableFramework, path: string, boosters?: readonly string[]): boolean => MODEL_FILES[framework](path, boosters);

/** Spellings params.json's `framework` may use to settle a bundle that holds several frameworks' files. */
const FRAMEWORK_ALIASES: Readonly<Record<string, DeployableFramework>> = {
  sklearn: 'sklearn', scikitlearn: 'sklearn', 'scikit-learn': 'sklearn',
  xgboost: 'xgboost', xgb: 'xgboost',
  pytorch: 'pytorch', torch: 'pytorch', torchscript: 'pytorch',
  tensorflow: 'tensorflow', tf: 'tensorflow', keras: 'tensorflow', savedmodel: 'tensorflow',
};

const CONTAINER_CODE = "The bundle's top level holds a 'code' folder, where SageMaker's framework containers look for the uploader's own inference.py and requirements.txt, which would run instead of MLHub's scripts (and pip-install at start): put the bundle's files in a folder of another name, or leave that folder out";

/** params.json's `framework`, if it names one MLHub deploys; undefined when absent or unknown. */
export function declaredFramework(params: Readonly<Record<string, unknown>> | undefined): DeployableFramework | undefined {
  const value = params?.framework;
  return typeof value === 'string' ? FRAMEWORK_ALIASES[value.trim().toLowerCase()] : undefined;
}

/** params.json's `model` (the model file), when it names one. */
const declaredModelFile = (params: Readonly<Record<string, unknown>> | undefined): string | undefined =>
  typeof params?.model === 'string' && params.model !== '' ? params.model : undefined;

/** The files of `framework` in the bundle, shallowest first (the model beats a copy in a sub-folder). */
function filesOf(manifest: Pick<BundleManifest, 'files' | 'boosterJson'>, framework: DeployableFramework): string[] {
  return manifest.files.map((file) => file.path).filter((path) => MODEL_FILES[framework](path, manifest.boosterJson))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

const NOWHERE = 'Nothing can serve this bundle: it holds no .onnx file for the built-in runtime, and no model file of a framework MLHub deploys (scikit-learn .joblib/.pkl/.pickle, XGBoost .json/.ubj/.bst/.model, TorchScript .pt/.pth with params.json, TensorFlow saved_model.pb); add one, or name a backend in the model\'s meta.backend';

/**
 * Which deployable framework a bundle is for, or why none: its params.json's `framework` when it
 * names one (and its `model` file, when it names one), else the one framework whose model files
 * it holds. Several frameworks' files with no `framework` is ambiguous. A params.json the
 * framework's script would refuse (framework-params.ts) is the reason, as a TorchScript model
 * without `inputs[0].shape` is.
 */
export function deployableFramework(manifest: Pick<BundleManifest, 'files' | 'params' | 'boosterJson' | 'containerCodeDir'>): { framework: DeployableFramework; modelFile: string } | { reason: string } {
  // Whatever the framework: every SageMaker framework container would run that folder's Python instead of, or before, MLHub's scripts.
  if (manifest.containerCodeDir) return { reason: CONTAINER_CODE };
  const declared = declaredFramework(manifest.params);
  const named = declaredModelFile(manifest.params);
  const candidates = declared ? [declared] : DEPLOYABLE_FRAMEWORKS.filter((framework) => filesOf(manifest, framework).length > 0);
  if (candidates.length === 0) return { reason: NOWHERE };
  if (candidates.length > 1) {
    return { reason: `The bundle holds model files of several frameworks (${candidates.join(', ')}); name the one to deploy in params.json's "framework" (and its file in "model")` };
  }
  const framework = candidates[0] as DeployableFramework;
  const files = filesOf(manifest, framework);
  const modelFile = named ?? files[0];
  if (modelFile === undefined) return { reason: `params.json names the framework ${framework}, but the bundle holds none of its model files` };
  if (named !== undefined && !manifest.files.some((file) => file.path === named)) return { reason: `params.json's "model" names '${named}', which the bundle does not hold` };
  const problem = frameworkParamsProblem(framework, manifest.params, modelFile);
  if (problem) return { reason: problem };
  return { framework, modelFile };
}

/**
 * The path a bundle's predictions take (ServingPath), in the order predict decides it
 * (functions/inference/backend-selection.ts): the model's meta.backend first, then the built-in
 * ONNX Runtime (`builtinRunnable`: its verdict as predict would decide it now, else the one
 * recorded at the check), then a deployable framework, `none` when this MLHub's `modelCode`
 * policy refuses to run it (model-code.ts), as deploy would.
 */
export function servingPath(manifest: Pick<BundleManifest, 'files' | 'params' | 'builtinRuntime' | 'sklearnVersion' | 'boosterJson'>, context: { readonly meta?: Readonly<Record<string, unknown>>; readonly builtinRunnable?: boolean; readonly modelCode?: ModelCodePolicy } = {}): ServingPath {
  const backend = context.meta?.backend;
  if (backend !== undefined && backend !== null) return { path: 'remote' };
  if (context.builtinRunnable ?? manifest.builtinRuntime?.runnable) return { path: 'builtin' };
  const found = deployableFramework(manifest);
  if ('reason' in found) return { path: 'none', reason: found.reason };
  const refusal = modelCodeRefusal(found.framework, context.modelCode, found.modelFile);
  if (refusal) return { path: 'none', reason: refusal };
  const warning = found.framework === 'sklearn' ? versionWarning(manifest.sklearnVersion) : undefined;
  return { path: 'deployable', ...found, ...(warning ? { warning } : {}) };
}

/** What to tell the uploader of a pickle written by another scikit-learn than the endpoints run. */
function versionWarning(written: string | undefined): string | undefined {
  if (written === undefined || written === SERVING_SKLEARN_VERSION) return undefined;
  return `The pickle was written by scikit-learn ${written}, and endpoints run ${SERVING_SKLEARN_VERSION}: it may fail to load there, or load with InconsistentVersionWarning and predict differently; save it with scikit-learn ${SERVING_SKLEARN_VERSION}`;
}

export function servingView(path: ServingPath): ServingView {
  switch (path.path) {
    case 'deployable': return { path: path.path, framework: path.framework, ...(path.warning ? { warning: path.warning } : {}) };
    case 'none': return { path: path.path, reason: path.reason };
    default: return { path: path.path };
  }
}
