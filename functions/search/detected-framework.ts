import { verdictForModelCache } from '../bundles/builtin-runtime';
import type { BundleManifest } from '../bundles/bundle-manifest';
import { declaredFramework, servingPath, type DeployableFramework } from '../frameworks/serving-path';
import type { ModelType } from '../registry/model-type';
import type { VersionRecord } from '../versions/version-records';

/** The model type each deployable framework is declared as (functions/registry/model-type.ts). */
const MODEL_TYPE_OF: Readonly<Record<DeployableFramework, ModelType>> = {
  sklearn: 'ScikitLearn', xgboost: 'XGBoost', pytorch: 'PyTorch', tensorflow: 'TensorFlow',
};

/**
 * The framework a checked bundle is for, as the serving path reads it (functions/frameworks/
 * serving-path.ts, ignoring the model's meta.backend, which says who serves it, not what it is):
 * `ONNX` when the built-in runtime runs it (whatever the size of the predict function's model
 * cache, which says where it runs, not what it is), the deployable framework's model type when
 * one serves it, undefined when neither does (the declared type then stands).
 */
export function bundleModelType(manifest: Pick<BundleManifest, 'files' | 'onnxLinks' | 'params' | 'builtinRuntime'>): ModelType | undefined {
  const path = servingPath(manifest, { builtinRunnable: verdictForModelCache(manifest, Number.POSITIVE_INFINITY).runnable });
  if (path.path === 'builtin') return 'ONNX';
  return path.path === 'deployable' ? MODEL_TYPE_OF[path.framework] : undefined;
}

/**
 * The framework search filters and facets a model by (issue 13's `framework`): the one detected
 * in its newest ready version's bundle, else the type its owner declared. A declaration the bundle
 * agrees with stands as written, so a Keras model whose bundle is a SavedModel stays `Keras`.
 *
 * @param declared the model's `type` (a ModelType)
 * @param versions the model's version records, in any order and any state
 */
export function searchFramework(declared: string, versions: readonly VersionRecord[]): string {
  const newest = versions.filter((version) => version.status === 'ready' && version.manifest !== undefined)
    .reduce<VersionRecord | undefined>((best, version) => (best === undefined || version.version > best.version ? version : best), undefined);
  const detected = newest?.manifest ? bundleModelType(newest.manifest) : undefined;
  if (detected === undefined || detected === declared) return declared;
  const served = declaredFramework({ framework: declared });
  return served !== undefined && served === declaredFramework({ framework: detected }) ? declared : detected;
}
