/**
 * A model's signature: the tensors it takes and gives, by name, element type and shape, as
 * recorded once when its bundle is checked (functions/bundles/inspect-bundle.ts) and shown on
 * each version (functions/registry/model-views.ts).
 */

/**
 * The tensor datatypes of the Open Inference Protocol (KServe's "Tensor Data Types"), which
 * MLHub's predict and the OIP backend speak.
 */
export const OIP_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;

export type OipDatatype = (typeof OIP_DATATYPES)[number];

/**
 * ONNX's element types (onnx.proto, TensorProto.DataType) that the Open Inference Protocol
 * names; the others (complex, bfloat16, float8, 4-bit) have no OIP datatype.
 */
const ONNX_ELEMENT_DATATYPES: Readonly<Record<number, OipDatatype>> = {
  1: 'FP32', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'BYTES',
  9: 'BOOL', 10: 'FP16', 11: 'FP64', 12: 'UINT32', 13: 'UINT64',
};

/** The OIP datatype of an ONNX element type number, or null for one OIP does not name. */
export const datatypeOfOnnxElement = (elemType: number): OipDatatype | null => ONNX_ELEMENT_DATATYPES[elemType] ?? null;

/**
 * One dimension: its size, a symbolic name (ONNX's dim_param, such as `N` or `batch_size`) for a
 * size chosen per request, or null when nothing is said of it.
 */
export type Dimension = number | string | null;

export interface TensorSpec {
  readonly name: string;
  /** Null for a value that is no tensor (a sequence or map) or of a type OIP does not name. */
  readonly datatype: OipDatatype | null;
  /** Null when the rank is unknown. */
  readonly shape: readonly Dimension[] | null;
}

export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** Where a recorded signature came from: the ONNX model file's graph, or params.json's declarations. */
export type SignatureSource = 'onnx' | 'params.json';

/** What the check found: the signature and its source, or why there is none. */
export type SignatureFinding =
  | { readonly signature: ModelSignature; readonly source: SignatureSource }
  | { readonly signature: null; readonly reason: string };

export const noSignature = (reason: string): SignatureFinding => ({ signature: null, reason });

/**
 * The most bytes a recorded signature may take as JSON: it sits in the version's DynamoDB item,
 * which holds at most 400 KB with the manifest's file list (bundle-manifest.ts).
 */
export const MAX_SIGNATURE_JSON_BYTES = 64 * 1024;

/** The finding as recorded: a signature larger than MAX_SIGNATURE_JSON_BYTES becomes a reason. */
export function recordable(finding: SignatureFinding): SignatureFinding {
  if (finding.signature === null) return finding;
  const bytes = Buffer.byteLength(JSON.stringify(finding.signature));
  if (bytes <= MAX_SIGNATURE_JSON_BYTES) return finding;
  const { inputs, outputs } = finding.signature;
  return noSignature(`The signature (${inputs.length} inputs, ${outputs.length} outputs) takes ${bytes} bytes as JSON, more than the ${MAX_SIGNATURE_JSON_BYTES} MLHub records`);
}
