import { isModelFileOf } from '../frameworks/serving-path';
import type { ModelType } from '../registry/model-type';

/**
 * Ordered by precedence: an ONNX export beside its source model is what MLHub can run itself.
 * XGBoost comes last, with the serving path's own rule for its files (functions/frameworks/
 * serving-path.ts): a `.json` counts only when its first bytes are a booster's (`boosters`).
 */
const SIGNATURES: readonly { readonly type: ModelType; readonly matches: (path: string, boosters: readonly string[]) => boolean }[] = [
  { type: 'ONNX', matches: (path) => path.endsWith('.onnx') },
  { type: 'TensorFlow', matches: (path) => path.endsWith('saved_model.pb') || path.endsWith('.pb') || path.endsWith('.tflite') },
  { type: 'Keras', matches: (path) => path.endsWith('.keras') || path.endsWith('.h5') || path.endsWith('.hdf5') },
  { type: 'PyTorch', matches: (path) => /\.(pt|pth|torchscript|mar)$/.test(path) },
  { type: 'ScikitLearn', matches: (path) => /\.(pkl|pickle|joblib)$/.test(path) },
  { type: 'XGBoost', matches: (path, boosters) => isModelFileOf('xgboost', path, boosters) },
];

/**
 * The framework a bundle's files are for (a version's `framework`, the upload answer's and
 * DataCite's), by file name alone, the first of SIGNATURES any file matches; undefined when none
 * does. Which of them MLHub can serve is the serving path's question (functions/frameworks/).
 *
 * @param paths the bundle's file paths, relative to its root
 * @param boosters the .json files among them whose first bytes are an XGBoost booster's
 */
export function detectFramework(paths: readonly string[], boosters: readonly string[]): ModelType | undefined {
  const lower = paths.map((path) => path.toLowerCase());
  const lowerBoosters = boosters.map((path) => path.toLowerCase());
  return SIGNATURES.find((signature) => lower.some((path) => signature.matches(path, lowerBoosters)))?.type;
}
