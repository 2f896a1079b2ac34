import { AppError } from '../errors/app-error';
import { readModelParams } from '../inference/model-params';
import { onnxModelFiles } from '../inference/onnx/onnx-model-file';
import type { BuiltinRuntimeVerdict, BundleManifest } from './bundle-manifest';

const OTHER_BACKENDS = "A model whose meta.backend (or the deployment's default for its type) names another backend, such as SageMaker or TF Serving, does not need it.";

function notRunnable(why: string): BuiltinRuntimeVerdict {
  const sentence = `${why.charAt(0).toLowerCase()}${why.slice(1)}${why.endsWith('.') ? '' : '.'}`;
  return { runnable: false, reason: `The built-in ONNX Runtime cannot run this bundle: ${sentence} ${OTHER_BACKENDS}` };
}

/**
 * The bytes `paths` (relative to the bundle's root) take, from the manifest's file list; a path
 * the list lacks counts 0 (the unpack then reports it missing).
 */
export function modelFileBytes(manifest: Pick<BundleManifest, 'files'>, paths: readonly string[]): number {
  const sizes = new Map(manifest.files.map((file) => [file.path, file.size]));
  return paths.reduce((total, path) => total + (sizes.get(path) ?? 0), 0);
}

/**
 * The size rule: model files larger than the predict function's model cache (`maxModelBytes`,
 * undefined: no limit) cannot run there; it answers 409 model_too_large.
 */
function sizeVerdict(manifest: Pick<BundleManifest, 'files'>, modelFiles: readonly string[], maxModelBytes: number | undefined): BuiltinRuntimeVerdict {
  const bytes = modelFileBytes(manifest, modelFiles);
  if (maxModelBytes === undefined || bytes <= maxModelBytes) return { runnable: true, modelFiles };
  return {
    runnable: false,
    modelFiles,
    reason: `The built-in ONNX Runtime cannot run this bundle here: its model files take ${bytes} bytes, more than the predict function can hold (${maxModelBytes} bytes, its model cache). Deploy the model to a SageMaker endpoint (or another serving backend) and name it in the model's meta.backend; predict answers 409 model_too_large until then.`,
  };
}

/**
 * Whether MLHub's built-in ONNX Runtime can run a bundle with these files (relative to its root)
 * and params.json, decided by the rule predict uses: readModelParams, then onnxModelFiles, then,
 * given `maxModelBytes` (the predict function's model cache, MLHUB_MODEL_CACHE_BYTES), whether
 * the model files fit in it.
 */
export function builtinRuntimeVerdict(manifest: Pick<BundleManifest, 'files' | 'onnxLinks' | 'params'>, maxModelBytes?: number): BuiltinRuntimeVerdict {
  try {
    const params = readModelParams(manifest.params);
    const modelFiles = onnxModelFiles(manifest, params.modelFile);
    if (!modelFiles) return notRunnable('it holds no .onnx file');
    return sizeVerdict(manifest, modelFiles, maxModelBytes);
  } catch (error) {
    // Both rules report a bundle they cannot use as an AppError; anything else is a bug.
    if (error instanceof AppError) return notRunnable(error.message);
    throw error;
  }
}

/**
 * The verdict as predict would decide it now, with a model cache of `maxModelBytes`
 * (MLHUB_MODEL_CACHE_BYTES as the reading function is told it): the one recorded when the bundle
 * was checked, its size rule redone, since the setting may have changed since (predict checks the
 * size on each request itself). A manifest recorded before verdicts existed gets the whole rule.
 */
export function verdictForModelCache(manifest: Pick<BundleManifest, 'files' | 'onnxLinks' | 'params' | 'builtinRuntime'>, maxModelBytes: number): BuiltinRuntimeVerdict {
  const recorded = manifest.builtinRuntime;
  if (!recorded) return builtinRuntimeVerdict(manifest, maxModelBytes);
  return recorded.modelFiles ? sizeVerdict(manifest, recorded.modelFiles, maxModelBytes) : recorded;
}
