import { AppError } from '../errors/app-error';
import { readModelParams } from '../inference/model-params';
import { onnxModelFiles } from '../inference/onnx/onnx-model-file';
import type { BuiltinRuntimeVerdict, BundleManifest } from './bundle-manifest';

const OTHER_BACKENDS = "A model whose meta.backend (or the deployment's default for its type) names another backend, such as SageMaker or TF Serving, does not need it.";

function notRunnable(why: string): BuiltinRuntimeVerdict {
  const sentence = `${why.charAt(0).toLowerCase()}${why.slice(1)}${why.endsWith('.') ? '' : '.'}`;
  return { runnable: false, reason: `The built-in ONNX Runtime cannot run this bundle: ${sentence} ${OTHER_BACKENDS}` };
}

/** Model files larger than the predict function can hold: it would answer 409 model_too_large. */
function tooLarge(bytes: number, maxModelBytes: number): BuiltinRuntimeVerdict {
  return {
    runnable: false,
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
    const sizes = new Map(manifest.files.map((file) => [file.path, file.size]));
    const bytes = modelFiles.reduce((total, path) => total + (sizes.get(path) ?? 0), 0);
    return maxModelBytes !== undefined && bytes > maxModelBytes ? tooLarge(bytes, maxModelBytes) : { runnable: true, modelFiles };
  } catch (error) {
    // Both rules report a bundle they cannot use as an AppError; anything else is a bug.
    if (error instanceof AppError) return notRunnable(error.message);
    throw error;
  }
}
