import type { ModelType } from '../registry/model-type';

/** Ordered by precedence: an ONNX export beside its source model is what MLHub can run itself. */
const SIGNATURES: readonly { readonly type: ModelType; readonly matches: (path: string) => boolean }[] = [
  { type: 'ONNX', matches: (path) => path.endsWith('.onnx') },
  { type: 'TensorFlow', matches: (path) => path.endsWith('saved_model.pb') || path.endsWith('.pb') || path.endsWith('.tflite') },
  { type: 'Keras', matches: (path) => path.endsWith('.keras') || path.endsWith('.h5') || path.endsWith('.hdf5') },
  { type: 'PyTorch', matches: (path) => /\.(pt|pth|torchscript|mar)$/.test(path) },
  { type: 'ScikitLearn', matches: (path) => /\.(pkl|pickle|joblib)$/.test(path) },
];

export function detectFramework(paths: readonly string[]): ModelType | undefined {
  const lower = paths.map((path) => path.toLowerCase());
  return SIGNATURES.find((signature) => lower.some(signature.matches))?.type;
}
