import { AppError } from '../../../functions/errors/app-error';
import type { ModelType } from '../../../functions/registry/model-type';
import type { InferenceConfig } from '../../../functions/inference/inference-config';
import type { InferenceEngine, VersionToRun } from '../../../functions/inference/inference-engine';
import { parseJsonInput, type PredictInput } from '../../../functions/inference/predict-input';
import { BundleShelf, modelBundle, temporaryFolder } from './bundles';
import { testConfig, testEngine } from './engine';

/**
 * A model served elsewhere: its bundle holds no .onnx (so only its named backend can run it),
 * plus whatever labels and params the test gives.
 */
export interface RemoteFixture {
  readonly engine: InferenceEngine;
  readonly config: InferenceConfig;
  readonly version: VersionToRun;
  predict(backend: Record<string, unknown>, input: PredictInput, type?: ModelType): ReturnType<InferenceEngine['predict']>;
  json(body: unknown): PredictInput;
  remove(): Promise<void>;
}

export async function remoteFixture(options: { labels?: string[]; params?: Record<string, unknown>; config?: Partial<InferenceConfig>; engine?: (config: InferenceConfig, shelf: BundleShelf) => InferenceEngine } = {}): Promise<RemoteFixture> {
  const folder = await temporaryFolder('mlhub-remote-test-');
  const config = testConfig(folder.path, { allowedBackendUrls: ['http://127.0.0.1:*'], ...options.config });
  const shelf = new BundleShelf();
  const files: Record<string, string> = { 'saved_model.pb': 'a TensorFlow graph' };
  if (options.labels) files['labels.txt'] = `${options.labels.join('\n')}\n`;
  if (options.params) files['params.json'] = JSON.stringify(options.params);
  const version = await shelf.add('models/remote/1/bundle.tar.gz', await modelBundle(files, 'remote'));
  const engine = options.engine ? options.engine(config, shelf) : testEngine(shelf, config);
  return {
    engine,
    config,
    version,
    predict: (backend, input, type = 'TensorFlow') => engine.predict({ model: { name: 'remote', type, meta: { backend } }, version, input }),
    json: (body) => parseJsonInput(body, config.limits),
    remove: folder.remove,
  };
}

export async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${error instanceof Error ? error.stack : String(error)}`);
  return error;
}

export const jsonBody = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));
