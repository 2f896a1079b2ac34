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
 * Whether MLHub's built-in ONNX Runtime can run a bundle with these files (relative to its root)
 * and params.json, decided by the rule predict uses: readModelParams, then onnxModelFiles.
 */
export function builtinRuntimeVerdict(manifest: Pick<BundleManifest, 'files' | 'onnxLinks' | 'params'>): BuiltinRuntimeVerdict {
  try {
    const params = readModelParams(manifest.params);
    const modelFiles = onnxModelFiles(manifest, params.modelFile);
    return modelFiles ? { runnable: true, modelFiles } : notRunnable('it holds no .onnx file');
  } catch (error) {
    // Both rules report a bundle they cannot use as an AppError; anything else is a bug.
    if (error instanceof AppError) return notRunnable(error.message);
    throw error;
  }
}
