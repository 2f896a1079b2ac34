import { invalid } from '../../errors/app-error';
import type { TfaasSpec } from '../backend-spec';
import type { RowPrediction } from '../predictions';
import { splitRows } from '../tensor';
import { backendFailed } from './backend-failures';
import { mapLimited, parseJsonAnswer, postJson, postToBackend, type Fetch } from './http-transport';
import type { InferenceBackend, PredictJob } from './inference-backend';
import { isPlainObject, namedRowCount } from './remote-input';

const PARALLEL_ROWS = 8;

interface TfaasRow {
  readonly keys: string[];
  readonly values: number[];
}

/** TFaaS's /image answer: `{"filename", "labels": [{"label", "probability"}]}`, best first. */
function fromImageAnswer(answer: unknown): RowPrediction {
  const labels = isPlainObject(answer) ? answer.labels : undefined;
  // A probability may be "NaN" or "±Infinity" (see backend-json.ts); then no label is chosen, as for every backend.
  const isScore = (value: unknown): boolean => typeof value === 'number' || value === 'NaN' || value === 'Infinity' || value === '-Infinity';
  if (!Array.isArray(labels) || !labels.every((item) => isPlainObject(item) && typeof item.label === 'string' && isScore(item.probability))) {
    throw backendFailed('tfaas', 'its answer has no "labels" list');
  }
  const ranked = labels as { label: string; probability: number | string }[];
  const finite = ranked.every((item) => typeof item.probability === 'number' && Number.isFinite(item.probability));
  const top = finite ? (ranked as { label: string; probability: number }[]).reduce<{ label: string; probability: number } | undefined>((best, item) => (!best || item.probability > best.probability ? item : best), undefined) : undefined;
  return { output: ranked, ...(top ? { label: top.label, probability: top.probability } : {}) };
}

function rowsFor(job: PredictJob<TfaasSpec>): TfaasRow[] {
  const { input } = job;
  if (input.kind === 'rows') {
    return splitRows(input.rows).map((row) => {
      const values = Array.from(row.data);
      return { keys: values.map((_, index) => `x${index}`), values };
    });
  }
  if (input.kind === 'named') {
    // TFaaS takes one value per named attribute, so each named input must be a scalar per row.
    const rows = namedRowCount(input.tensors);
    for (const [name, tensor] of input.tensors) {
      if (tensor.data.length !== rows) throw invalid('invalid_input', `The tfaas backend takes one number per named input and row; '${name}' has shape [${tensor.shape.join(', ')}]`);
    }
    const keys = [...input.tensors.keys()];
    return Array.from({ length: rows }, (_, row) => ({ keys, values: [...input.tensors.values()].map((tensor) => tensor.data[row]!) }));
  }
  return [];
}

/**
 * TFaaS, the seed's own backend: `POST {url}/json` with `{"keys", "values", "model"}` for one
 * row (answering the output vector), and `POST {url}/image` with a multipart `image` and
 * `model` (answering ranked labels). Newer TFaaS serves these under /predict: put that in `url`.
 */
export class TfaasBackend implements InferenceBackend<TfaasSpec> {
  readonly kind = 'tfaas' as const;

  constructor(private readonly fetchImpl: Fetch) {}

  async predict(job: PredictJob<TfaasSpec>): Promise<RowPrediction[]> {
    const { spec, input } = job;
    if (input.kind === 'image') {
      const form = new FormData();
      const type = input.image.format === 'png' ? 'image/png' : 'image/jpeg';
      form.append('image', new Blob([input.image.bytes], { type }), input.image.format === 'png' ? 'image.png' : 'image.jpg');
      form.append('model', spec.model);
      const response = await postToBackend(this.fetchImpl, { kind: this.kind, url: `${spec.url}/image`, body: form, signal: job.signal, model: spec.model });
      return [fromImageAnswer(parseJsonAnswer(this.kind, response.body))];
    }
    return mapLimited(rowsFor(job), PARALLEL_ROWS, async (row) => {
      const answer = await postJson(this.fetchImpl, { kind: this.kind, url: `${spec.url}/json`, payload: { ...row, model: spec.model }, signal: job.signal, model: spec.model });
      if (!Array.isArray(answer)) throw backendFailed(this.kind, 'its /json answer is not a list of numbers');
      return { output: answer };
    });
  }
}
