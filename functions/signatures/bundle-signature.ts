import type { BuiltinRuntimeVerdict } from '../bundles/bundle-manifest';
import { declaredSignature } from './declared-signature';
import { noSignature, recordable, type SignatureFinding } from './model-signature';
import { OnnxSignatureReader } from './onnx-signature';

/**
 * The .onnx files of a bundle whose signatures are read while it streams, in archive order. The
 * model file is known only once the whole archive is read (params.json may come last), so each
 * is read as it passes; this many bound what is kept (each finding is at most
 * MAX_SIGNATURE_JSON_BYTES).
 */
export const MAX_ONNX_FILES_READ = 16;

/** Reads one .onnx entry's signature from its bytes, consuming them all; never throws for bad bytes. */
export async function readOnnxSignature(entry: AsyncIterable<unknown>): Promise<SignatureFinding> {
  const reader = new OnnxSignatureReader();
  for await (const chunk of entry) reader.write(chunk as Buffer);
  return recordable(reader.finish());
}

/**
 * The bundle's signature: the graph of the ONNX file the built-in runtime's rule picks (the
 * verdict's first model file, also when only its size keeps predict from running it), else what
 * params.json declares (declared-signature.ts). `onnxFindings`: by path relative to the bundle's
 * root, the findings of the .onnx files read.
 */
export function bundleSignature(verdict: BuiltinRuntimeVerdict, onnxFindings: ReadonlyMap<string, SignatureFinding>, params: Record<string, unknown> | undefined): SignatureFinding {
  const modelFile = verdict.modelFiles?.[0];
  if (modelFile === undefined) return declaredSignature(params);
  return onnxFindings.get(modelFile)
    ?? noSignature(`The model file ${modelFile} comes after the first ${MAX_ONNX_FILES_READ} .onnx files in the archive, the ones whose signatures MLHub reads`);
}
