import { modelAddress, type TorchServeSpec } from '../backend-spec';
import type { RowPrediction } from '../predictions';
import { backendFailed } from './backend-failures';
import { mapLimited, parseJsonAnswer, postToBackend, type Fetch } from './http-transport';
import type { InferenceBackend, PredictJob } from './inference-backend';
import { isPlainObject, namedRowCount, nestedRows } from './remote-input';
import { labelScores } from './label-scores';
import { nest, splitRows } from '../tensor';

/** TorchServe batches on the server side, so MLHub sends rows as separate requests, a few at a time. */
const PARALLEL_ROWS = 8;

const predictionsUrl = (spec: TorchServeSpec): string =>
  `${modelAddress(spec) as string}${spec.version ? `/${encodeURIComponent(spec.version)}` : ''}`;

/**
 * A handler's answer for one request: a `{label: probability}` map (the stock image classifier's
 * top 5) becomes the row's output plus its top label; anything else is the output as it is.
 */
function fromAnswer(answer: unknown): RowPrediction {
  if (isPlainObject(answer)) {
    const top = labelScores(answer);
    if (top) return { output: answer, ...top };
  }
  return { output: answer };
}

/**
 * TorchServe's inference API: `POST /predictions/{m}[/{v}]`. An image goes as its raw bytes
 * with its media type, as `curl -T kitten.jpg` sends it and the stock handlers expect; each
 * row goes as a JSON body of its own (the row's array, or for named inputs an object of them).
 */
export class TorchServeBackend implements InferenceBackend<TorchServeSpec> {
  readonly kind = 'torchserve' as const;

  constructor(private readonly fetchImpl: Fetch) {}

  async predict(job: PredictJob<TorchServeSpec>): Promise<RowPrediction[]> {
    const { spec, input } = job;
    const call = async (body: string | Uint8Array, contentType: string): Promise<RowPrediction> => {
      const response = await postToBackend(this.fetchImpl, { kind: this.kind, url: predictionsUrl(spec), body, contentType, signal: job.signal, model: spec.model });
      return fromAnswer(parseJsonAnswer(this.kind, response.body));
    };
    if (input.kind === 'image') return [await call(input.image.bytes, input.image.format === 'png' ? 'image/png' : 'image/jpeg')];
    let bodies: string[];
    if (input.kind === 'rows') {
      bodies = nestedRows(input.rows).map((row) => JSON.stringify(row));
    } else {
      const rows = namedRowCount(input.tensors);
      const columns = [...input.tensors].map(([name, tensor]) => [name, tensor.shape.length === 0 ? [tensor.data[0]] : splitRows(tensor).map((row) => nest(row.data, row.shape))] as const);
      bodies = Array.from({ length: rows }, (_, row) => JSON.stringify(Object.fromEntries(columns.map(([name, values]) => [name, values[row]]))));
    }
    if (bodies.length === 0) throw backendFailed(this.kind, 'there is nothing to send');
    return mapLimited(bodies, PARALLEL_ROWS, (body) => call(body, 'application/json'));
  }
}
