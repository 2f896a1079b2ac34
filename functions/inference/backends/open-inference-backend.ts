import { modelAddress, type OpenInferenceSpec } from '../backend-spec';
import { predictionFromOutputs, type RowPrediction } from '../predictions';
import { nest, type Tensor } from '../tensor';
import { backendFailed } from './backend-failures';
import { postJson, type Fetch } from './http-transport';
import type { InferenceBackend, PredictJob } from './inference-backend';
import { batchTensor, isPlainObject, namedRowCount } from './remote-input';
import { assertValuesFit, elementRule } from '../element-types';
import { namedPosition, rowPosition } from '../predict-input';

interface ResponseOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: unknown;
}

const inferUrl = (spec: OpenInferenceSpec): string =>
  `${modelAddress(spec) as string}${spec.version ? `/versions/${encodeURIComponent(spec.version)}` : ''}/infer`;

/** Row-major values however the server nested them (the protocol allows flat or nested `data`). */
const flatten = (data: unknown): unknown[] => (Array.isArray(data) ? data.flat(Infinity) : [data]);

/** OIP tensor datatypes (the protocol's "Tensor Data Types" table) as element types MLHub checks values against. */
const ELEMENT_TYPES: Readonly<Record<string, string>> = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64',
  INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64', FP16: 'float16', FP32: 'float32', FP64: 'float64',
};

/** One request input; JSON values are refused (400) where the datatype cannot hold them, as for the built-in runtime. */
function requestInput(name: string, tensor: Tensor, datatype: string, position?: (index: number) => string): Record<string, unknown> {
  const rule = elementRule(ELEMENT_TYPES[datatype] ?? '');
  if (rule && position) assertValuesFit(tensor.data, rule, position, `the model's input '${name}' is ${datatype}`);
  const data = Array.from(tensor.data);
  return { name, shape: tensor.shape.length === 0 ? [1] : [...tensor.shape], datatype, data: datatype === 'BOOL' ? data.map((value) => value !== 0) : data };
}

function readOutputs(answer: unknown, kind: 'oip'): ResponseOutput[] {
  if (!isPlainObject(answer) || !Array.isArray(answer.outputs)) throw backendFailed(kind, 'its answer has no "outputs" list');
  return answer.outputs.map((output) => {
    if (!isPlainObject(output) || typeof output.name !== 'string' || !Array.isArray(output.shape) || !output.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
      throw backendFailed(kind, 'its answer has an output without a name or shape');
    }
    return { name: output.name, shape: output.shape as number[], data: output.data };
  });
}

/**
 * The Open Inference Protocol (KServe v2), as MLServer, Triton and KServe speak it:
 * `POST /v2/models/{m}[/versions/{v}]/infer` with typed, shaped, row-major tensors. Rows and
 * images go as one input (named by the spec, params.json's input_name, or `input-0`); named
 * inputs go as they are. Outputs are split along their first axis, one part per row.
 */
export class OpenInferenceBackend implements InferenceBackend<OpenInferenceSpec> {
  readonly kind = 'oip' as const;

  constructor(private readonly fetchImpl: Fetch) {}

  async predict(job: PredictJob<OpenInferenceSpec>): Promise<RowPrediction[]> {
    const { spec, input } = job;
    let rows: number;
    let inputs: Record<string, unknown>[];
    if (input.kind === 'named') {
      rows = namedRowCount(input.tensors);
      inputs = [...input.tensors].map(([name, tensor]) => requestInput(name, tensor, spec.datatype, namedPosition(name, tensor)));
    } else {
      const batch = batchTensor(job);
      rows = batch.shape[0] ?? 1;
      inputs = [requestInput(spec.inputName ?? job.params.inputName ?? 'input-0', batch, spec.datatype, input.kind === 'rows' ? rowPosition(input) : undefined)];
    }
    const answer = await postJson(this.fetchImpl, { kind: this.kind, url: inferUrl(spec), payload: { inputs }, signal: job.signal, model: spec.model });
    const perRow: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
    for (const output of readOutputs(answer, this.kind)) {
      const values = flatten(output.data);
      const total = output.shape.reduce((count, dim) => count * dim, 1);
      if (values.length !== total) throw backendFailed(this.kind, `output '${output.name}' has ${values.length} values for shape [${output.shape.join(', ')}]`);
      if (output.shape[0] === rows) {
        const rowShape = output.shape.slice(1);
        const size = total / Math.max(rows, 1);
        for (let row = 0; row < rows; row += 1) perRow[row]![output.name] = nest(values, rowShape, row * size);
      } else if (rows === 1) {
        perRow[0]![output.name] = nest(values, output.shape);
      } else {
        throw backendFailed(this.kind, `output '${output.name}' has shape [${output.shape.join(', ')}] for ${rows} rows`);
      }
    }
    return perRow.map(predictionFromOutputs);
  }
}
