import { modelAddress, type TfServingSpec } from '../backend-spec';
import { nest, splitRows } from '../tensor';
import { predictionFromOutputs, type RowPrediction } from '../predictions';
import { backendFailed } from './backend-failures';
import { postJson, type Fetch } from './http-transport';
import type { InferenceBackend, PredictJob } from './inference-backend';
import { batchTensor, isPlainObject, namedRowCount, nestedRows, splitAnswer, splitNamedAnswer } from './remote-input';

const predictUrl = (spec: TfServingSpec): string =>
  `${modelAddress(spec) as string}${spec.version ? `/versions/${encodeURIComponent(spec.version)}` : ''}:predict`;

/** A row of the row format's `predictions`: a value for one output, an object for several. */
const fromInstance = (value: unknown): RowPrediction => (isPlainObject(value) ? predictionFromOutputs(value) : { output: value });

/**
 * TensorFlow Serving's REST API: `POST /v1/models/{m}[/versions/{v}]:predict` with the row
 * format (`{"instances": [...]}` → `{"predictions": [...]}`) or the columnar one
 * (`{"inputs": ...}` → `{"outputs": ...}`). Rows and images go as instances unless the spec asks
 * for columns; named inputs go as columns unless it asks for instances.
 */
export class TfServingBackend implements InferenceBackend<TfServingSpec> {
  readonly kind = 'tfserving' as const;

  constructor(private readonly fetchImpl: Fetch) {}

  async predict(job: PredictJob<TfServingSpec>): Promise<RowPrediction[]> {
    const { spec, input } = job;
    const signature = spec.signatureName ? { signature_name: spec.signatureName } : {};
    let rows: number;
    let payload: Record<string, unknown>;
    if (input.kind === 'named') {
      rows = namedRowCount(input.tensors);
      if (spec.format === 'instances') {
        const columns = [...input.tensors].map(([name, tensor]) => [name, tensor.shape.length === 0 ? [tensor.data[0]] : splitRows(tensor).map((row) => nest(row.data, row.shape))] as const);
        payload = { ...signature, instances: Array.from({ length: rows }, (_, row) => Object.fromEntries(columns.map(([name, values]) => [name, values[row]]))) };
      } else {
        payload = { ...signature, inputs: Object.fromEntries([...input.tensors].map(([name, tensor]) => [name, nest(tensor.data, tensor.shape)])) };
      }
    } else {
      const batch = batchTensor(job);
      rows = batch.shape[0] ?? 1;
      payload = spec.format === 'inputs' ? { ...signature, inputs: nest(batch.data, batch.shape) } : { ...signature, instances: nestedRows(batch) };
    }
    const answer = await postJson(this.fetchImpl, { kind: this.kind, url: predictUrl(spec), payload, signal: job.signal, model: spec.model });
    if (!isPlainObject(answer)) throw backendFailed(this.kind, 'its answer is not a JSON object');
    if ('predictions' in answer) return splitAnswer(answer.predictions, rows, job, 'predictions').map(fromInstance);
    if ('outputs' in answer) {
      const outputs = answer.outputs;
      if (isPlainObject(outputs)) return splitNamedAnswer(outputs, rows, job).map(predictionFromOutputs);
      return splitAnswer(outputs, rows, job, 'outputs').map((output) => ({ output }));
    }
    throw backendFailed(this.kind, 'its answer has neither "predictions" nor "outputs"');
  }
}
