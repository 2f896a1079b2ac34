import { noSignature, OIP_DATATYPES, type Dimension, type OipDatatype, type SignatureFinding, type TensorSpec } from './model-signature';

/** Tensors params.json may declare on each side, far more than any serving signature has. */
const MAX_DECLARED = 1000;

class DeclarationError extends Error {}

function declaredDimension(value: unknown, where: string): Dimension {
  // -1 is how the Open Inference Protocol's model metadata marks a size chosen per request.
  if (value === null || value === -1) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && value !== '') return value;
  throw new DeclarationError(`${where} must be a size (0 or more), -1 or null for any size, or a symbolic name`);
}

function declaredTensor(value: unknown, where: string): TensorSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DeclarationError(`${where} must be an object with "name", "datatype" and "shape"`);
  const { name, datatype, shape } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') throw new DeclarationError(`${where}.name must be a non-empty string`);
  const type = typeof datatype === 'string' ? datatype.toUpperCase() : datatype;
  if (type !== undefined && type !== null && !(OIP_DATATYPES as readonly unknown[]).includes(type)) {
    throw new DeclarationError(`${where}.datatype must be one of ${OIP_DATATYPES.join(', ')}`);
  }
  if (shape !== undefined && shape !== null && !Array.isArray(shape)) throw new DeclarationError(`${where}.shape must be a list of dimensions`);
  return {
    name,
    datatype: (type ?? null) as OipDatatype | null,
    shape: Array.isArray(shape) ? shape.map((dim, index) => declaredDimension(dim, `${where}.shape[${index}]`)) : null,
  };
}

function declaredList(value: unknown, key: string): TensorSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_DECLARED) throw new DeclarationError(`params.json "${key}" must be a list of at most ${MAX_DECLARED} tensors`);
  return value.map((item, index) => declaredTensor(item, `params.json "${key}"[${index}]`));
}

/** A name-only tensor from TFaaS's keys, which say what to call a tensor but not its type or shape. */
function namedOnly(params: Record<string, unknown>, ...keys: string[]): TensorSpec[] {
  const name = keys.map((key) => params[key]).find((value) => typeof value === 'string' && value !== '');
  return typeof name === 'string' ? [{ name, datatype: null, shape: null }] : [];
}

/**
 * The signature a bundle's params.json declares, for a model MLHub does not run from an ONNX
 * file (one a remote backend serves): `"inputs"` and `"outputs"` as the Open Inference
 * Protocol's model metadata lists them, `[{"name", "datatype", "shape"}]` (datatype one of
 * OIP_DATATYPES, in any case; shape dims a size, -1 or null for any, or a symbolic name; both
 * optional), else TFaaS's `input_name`/`inputNode` and `output_name`/`outputNode`, which give
 * names alone. Declaring neither gives no signature; a declaration that cannot be read gives
 * none either, with the reason naming the field; the bundle is never refused for it.
 */
export function declaredSignature(params: Record<string, unknown> | undefined): SignatureFinding {
  if (!params) return noSignature('The bundle holds no ONNX model file to read a signature from, and no params.json declaring "inputs" and "outputs"');
  try {
    const inputs = params.inputs === undefined ? namedOnly(params, 'input_name', 'inputNode') : declaredList(params.inputs, 'inputs');
    const outputs = params.outputs === undefined ? namedOnly(params, 'output_name', 'outputNode') : declaredList(params.outputs, 'outputs');
    if (inputs.length === 0 && outputs.length === 0) return noSignature('The bundle holds no ONNX model file to read a signature from, and its params.json declares no "inputs" or "outputs"');
    return { signature: { inputs, outputs }, source: 'params.json' };
  } catch (error) {
    if (error instanceof DeclarationError) return noSignature(`The bundle's signature could not be read: ${error.message}`);
    throw error;
  }
}
