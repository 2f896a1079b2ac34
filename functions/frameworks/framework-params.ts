import { AppError } from '../errors/app-error';
import { readModelParams } from '../inference/model-params';
import type { DeployableFramework } from './serving-path';

/**
 * Open Inference Protocol datatypes params.json's `inputs[0].datatype` may name: those the
 * scripts cast to (functions/frameworks/scripts/mlhub_serving/bundle.py, OIP_DTYPES).
 */
const OIP_DATATYPES = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64']);

/** The params.json a TorchScript model needs, as the upload answer and deploy refusal show it. */
export const TORCHSCRIPT_PARAMS_EXAMPLE = '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 1, 28, 28]}]}';

const isSize = (value: unknown): boolean => value === null || (typeof value === 'number' && Number.isSafeInteger(value) && value >= -1);

/**
 * Why the framework scripts would refuse this params.json, in the words they use, or undefined:
 * the README's keys (image keys, softmax, labels as readModelParams reads them; `inputs` as
 * bundle.py reads it), so a bundle whose deploy could only fail is `serving: none` at upload and
 * refused at deploy. A TorchScript model needs `inputs[0].shape`: the file does not say how rows
 * are shaped, and the script reshapes each row to it.
 */
export function frameworkParamsProblem(framework: DeployableFramework, params: Readonly<Record<string, unknown>> | undefined, modelFile: string): string | undefined {
  if (params === undefined) {
    return framework === 'pytorch' ? `The TorchScript file '${modelFile}' needs a params.json beside it giving the input's shape and datatype (e.g. ${TORCHSCRIPT_PARAMS_EXAMPLE}); add one to deploy it` : undefined;
  }
  try {
    readModelParams({ ...params });
  } catch (error) {
    if (error instanceof AppError) return error.message;
    throw error;
  }
  const labels = params.labels;
  if (labels !== undefined && (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string'))) return 'The bundle\'s params.json needs "labels" to be a list of strings';
  const declared = params.inputs;
  const first = Array.isArray(declared) ? declared[0] as Record<string, unknown> | undefined : undefined;
  if (declared !== undefined && (!first || typeof first !== 'object' || Array.isArray(first))) return 'The bundle\'s params.json needs "inputs" to be a list of {"name", "datatype", "shape"}';
  if (first?.datatype !== undefined && (typeof first.datatype !== 'string' || !OIP_DATATYPES.has(first.datatype.toUpperCase()))) {
    return `The bundle's params.json names an unknown datatype in "inputs[0].datatype"; use one of ${[...OIP_DATATYPES].join(', ')}`;
  }
  if (first?.name !== undefined && typeof first.name !== 'string') return 'The bundle\'s params.json has a non-string "inputs[0].name"';
  if (first?.shape !== undefined && (!Array.isArray(first.shape) || first.shape.length === 0 || !first.shape.every(isSize))) {
    return 'The bundle\'s params.json needs "inputs[0].shape" to be a list of sizes (-1 or null for any)';
  }
  if (framework === 'pytorch' && !Array.isArray(first?.shape)) {
    return `The TorchScript file '${modelFile}' needs params.json's "inputs" to give the input's shape (e.g. ${TORCHSCRIPT_PARAMS_EXAMPLE}): the script reshapes each row to it`;
  }
  return undefined;
}
