import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { invalid } from '../../errors/app-error';
import type { SageMakerSpec } from '../backend-spec';
import { labelPredictions, predictionFromOutputs, type RowPrediction } from '../predictions';
import { nest, splitRows } from '../tensor';
import { backendBusy, backendFailed, endpointNotInService, backendRejectedInput, backendUnreachable, isAbort } from './backend-failures';
import type { InferenceBackend, PredictJob } from './inference-backend';
import { batchTensor, isPlainObject, namedRowCount, nestedRows, splitAnswer } from './remote-input';
import { jsonNumberFromText } from '../output-values';
import { parseBackendJson } from './backend-json';

interface Payload {
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly rows: number;
}

const isJson = (type: string): boolean => type === 'application/json' || type.endsWith('+json');
const isImageType = (type: string): boolean => type.startsWith('image/') || type === 'application/x-image';

function csvLine(values: ArrayLike<number>): string {
  return Array.from(values).join(',');
}

/** MLHub's request in the endpoint's content type: JSON rows, CSV lines, or an image's own bytes. */
function payloadFor(job: PredictJob<SageMakerSpec>): Payload {
  const { spec, input } = job;
  const type = spec.contentType;
  if (isImageType(type)) {
    if (input.kind !== 'image') throw invalid('invalid_input', `This model's SageMaker endpoint takes images (${type}); send a PNG or JPEG`);
    const actual = input.image.format === 'png' ? 'image/png' : 'image/jpeg';
    return { body: input.image.bytes, contentType: type.startsWith('image/') ? actual : type, rows: 1 };
  }
  if (type === 'text/csv') {
    if (input.kind === 'named') throw invalid('invalid_input', "This model's SageMaker endpoint takes CSV rows; send {\"input\": [...]} rather than named inputs");
    const batch = batchTensor(job);
    const lines = splitRows(batch).map((row) => csvLine(row.data));
    return { body: Buffer.from(lines.join('\n')), contentType: type, rows: lines.length };
  }
  if (isJson(type)) {
    if (input.kind === 'named') {
      const inputs = Object.fromEntries([...input.tensors].map(([name, tensor]) => [name, nest(tensor.data, tensor.shape)]));
      return { body: Buffer.from(JSON.stringify({ inputs })), contentType: type, rows: namedRowCount(input.tensors) };
    }
    const rows = nestedRows(batchTensor(job));
    const json = spec.jsonFormat === 'array' ? rows : { instances: rows };
    return { body: Buffer.from(JSON.stringify(json)), contentType: type, rows: rows.length };
  }
  throw backendFailed('sagemaker', `MLHub cannot write content type ${type}; use application/json, text/csv or an image type`);
}

/** Numbers per line, for CSV answers (one line per row, or one line for a lone row). */
function parseCsv(text: string): (number | string)[][] | undefined {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  const rows = lines.map((line) => line.split(',').map(jsonNumberFromText));
  return rows.every((row) => row.every((cell) => cell !== undefined)) ? (rows as (number | string)[][]) : undefined;
}

/**
 * MLHub's framework scripts answer the class labels they know (scikit-learn's classes_,
 * params.json's labels) as a top-level "labels" beside "predictions". They label each row here,
 * as labels.txt labels ONNX answers, unless the bundle has labels.txt: the engine labels from that
 * afterwards, and it wins (a row already labelled would keep these).
 */
function withAnswerLabels(predictions: RowPrediction[], labels: unknown, job: PredictJob<SageMakerSpec>): RowPrediction[] {
  if ((job.version.manifest.labels?.length ?? 0) > 0) return predictions;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((label) => typeof label === 'string')) return predictions;
  return labelPredictions(predictions, labels as string[], job.params);
}

function readAnswer(body: Uint8Array, contentType: string, rows: number, job: PredictJob<SageMakerSpec>): RowPrediction[] {
  const text = Buffer.from(body).toString('utf8');
  let parsed: unknown;
  let isJsonAnswer = true;
  try {
    parsed = parseBackendJson(text);
  } catch {
    isJsonAnswer = false;
  }
  if (isJsonAnswer) {
    if (isPlainObject(parsed) && 'predictions' in parsed) {
      const predictions = splitAnswer(parsed.predictions, rows, job, 'predictions').map((value) => (isPlainObject(value) ? predictionFromOutputs(value) : { output: value }));
      return withAnswerLabels(predictions, parsed.labels, job);
    }
    return splitAnswer(parsed, rows, job, 'predictions').map((output) => ({ output }));
  }
  const csv = parseCsv(text);
  if (!csv) throw backendFailed('sagemaker', `its answer (${contentType || 'no content type'}) is neither JSON nor CSV`);
  if (csv.length === rows) return csv.map((values) => ({ output: values.length === 1 ? values[0] : values }));
  if (rows > 1 && csv.length === 1 && csv[0]!.length === rows) return csv[0]!.map((output) => ({ output }));
  if (rows === 1) return [{ output: csv.flat() }];
  throw backendFailed('sagemaker', `it answered ${csv.length} lines for ${rows} rows`);
}

interface ServiceError {
  readonly name?: string;
  readonly message?: string;
  readonly OriginalStatusCode?: number;
  readonly OriginalMessage?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * The container's own words from a ModelError's OriginalMessage: MLHub's scripts answer
 * {"error": {"code", "message"}} and the message is what the user needs; any other body (the
 * toolkit's plain text) is kept as it is. Undefined when there is none.
 */
function workerMessage(original: string | undefined): string | undefined {
  const text = original?.trim();
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed?.error?.message === 'string' && parsed.error.message.trim()) return parsed.error.message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text;
}

function failure(error: unknown): Error {
  const service = error as ServiceError;
  const status = service?.$metadata?.httpStatusCode;
  if (status === undefined) return backendUnreachable('sagemaker', error);
  switch (service.name) {
    case 'ModelError': {
      const original = service.OriginalStatusCode ?? 0;
      if (original >= 400 && original < 500) return backendRejectedInput('sagemaker', workerMessage(service.OriginalMessage));
      // A crash's words (a traceback, the container's paths) stay in the logs, through `cause`.
      return backendFailed('sagemaker', `the model failed${original ? ` (HTTP ${original})` : ''}`, error);
    }
    case 'ValidationException':
      // InvokeEndpoint's words for an endpoint that is missing or not InService (being created or deleted).
      if (/not found|could not find|not in ?service/i.test(service.message ?? '')) return endpointNotInService(error);
      return backendFailed('sagemaker', `${service.name} (HTTP ${status})`, error);
    case 'ThrottlingException':
    case 'ModelNotReadyException':
    case 'ServiceUnavailable':
      return backendBusy('sagemaker', error);
    default:
      // SageMaker's own messages name the account and region: keep only the error's name.
      return backendFailed('sagemaker', `${service.name ?? 'error'} (HTTP ${status})`, error);
  }
}

/**
 * A SageMaker real-time endpoint through InvokeEndpoint. The endpoint and content type come from
 * the model's metadata; the client (and so region, credentials and any endpoint override) is the
 * deployment's.
 */
export class SageMakerBackend implements InferenceBackend<SageMakerSpec> {
  readonly kind = 'sagemaker' as const;

  constructor(private readonly client: SageMakerRuntimeClient | undefined) {}

  async predict(job: PredictJob<SageMakerSpec>): Promise<RowPrediction[]> {
    if (!this.client) throw backendFailed(this.kind, 'this deployment has no SageMaker client');
    const { spec } = job;
    const payload = payloadFor(job);
    let answer: { Body?: Uint8Array; ContentType?: string };
    try {
      answer = await this.client.send(new InvokeEndpointCommand({
        EndpointName: spec.endpoint,
        Body: payload.body,
        ContentType: payload.contentType,
        Accept: spec.accept ?? 'application/json',
        ...(spec.targetVariant ? { TargetVariant: spec.targetVariant } : {}),
      }), { abortSignal: job.signal });
    } catch (error) {
      if (isAbort(error, job.signal)) throw error;
      throw failure(error);
    }
    return readAnswer(answer.Body ?? new Uint8Array(), answer.ContentType ?? '', payload.rows, job);
  }
}
