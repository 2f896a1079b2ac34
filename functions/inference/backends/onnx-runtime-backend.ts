import { createRequire } from 'node:module';
import type * as OnnxRuntime from 'onnxruntime-node';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { conflict, invalid } from '../../errors/app-error';
import type { OnnxRuntimeSpec } from '../backend-spec';
import { SESSION_MEMORY_FACTOR } from '../inference-config';
import { modelFileBytes, type ModelFileCache } from '../model-file-cache';
import { planFeeds, type DeclaredInput, type Feeds } from '../onnx/fit-input';
import { onnxModelFiles } from '../onnx/onnx-model-file';
import { SessionCache } from '../onnx/session-cache';
import { jsonValues } from '../output-values';
import { predictionFromOutputs, type RowPrediction } from '../predictions';
import { nest } from '../tensor';
import { redact } from './backend-failures';
import type { InferenceBackend, ModelVersionRef, PredictJob } from './inference-backend';

type Ort = typeof OnnxRuntime;

/**
 * `require` for this module's own location. In Lambda, onnxruntime-node comes from a layer at
 * /opt/nodejs/node_modules, which Node finds through NODE_PATH: CommonJS resolution honours
 * NODE_PATH, ESM resolution (`import()` of a bare specifier) does not, so the package is
 * required, never imported (lib/functions/onnx-runtime-layer.ts builds the layer).
 */
const requireHere = createRequire(import.meta.url);

/** Loaded on first use, so functions that never run ONNX never load the native binding. */
let ortModule: Ort | undefined;
export const loadOnnxRuntime = async (): Promise<Ort> => (ortModule ??= requireHere('onnxruntime-node') as Ort);

function declaredInputs(session: InferenceSession): DeclaredInput[] {
  return session.inputMetadata.flatMap((input) => (input.isTensor ? [{ name: input.name, type: input.type, shape: input.shape }] : []));
}

const tensorOutputs = (session: InferenceSession): string[] =>
  session.outputMetadata.filter((output) => output.isTensor).map((output) => output.name);


/** Splits each output along its batch axis into one prediction per row, keeping each row's shape. */
function rowPredictions(results: Record<string, OrtTensor>, names: readonly string[], rows: number, model: string): RowPrediction[] {
  const perRow: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
  for (const name of names) {
    const tensor = results[name];
    if (!tensor) continue;
    const dims = tensor.dims.map(Number);
    const values = jsonValues(tensor.type, tensor.data as ArrayLike<unknown>);
    if (dims.length > 0 && dims[0] === rows) {
      const rowDims = dims.slice(1);
      const size = rowDims.reduce((count, dim) => count * dim, 1);
      for (let row = 0; row < rows; row += 1) perRow[row]![name] = nest(values, rowDims, row * size);
    } else if (rows === 1) {
      perRow[0]![name] = nest(values, dims);
    } else {
      throw conflict('unbatched_output', `Model '${model}' gives output '${name}' of shape [${dims.join(', ')}] for ${rows} rows; send one row per request`);
    }
  }
  return perRow.map(predictionFromOutputs);
}

/**
 * The built-in backend: runs a bundle's .onnx file in ONNX Runtime, in this process. Files come
 * from the disk cache, sessions from the memory cache, both keyed by the bundle's sha256; input
 * names, types and shapes come from the model itself.
 */
export class OnnxRuntimeBackend implements InferenceBackend<OnnxRuntimeSpec> {
  readonly kind = 'onnxruntime' as const;
  private readonly sessions: SessionCache;
  /** Model files being fetched and unpacked, by bundle sha256. */
  private readonly preparing = new Set<string>();

  /** `sessionCacheBytes`: the memory budget of loaded sessions, each estimated as SESSION_MEMORY_FACTOR times its model files. */
  constructor(private readonly files: ModelFileCache, sessionCacheBytes: number) {
    this.sessions = new SessionCache(sessionCacheBytes);
  }

  /** A deadline that passes while the model files are still fetched and unpacked is a cold start's, and says so. */
  timeoutDetail(job: PredictJob<OnnxRuntimeSpec>): string | undefined {
    if (!this.preparing.has(job.version.sha256)) return undefined;
    const files = onnxModelFiles(job.version.manifest, job.params.modelFile) ?? [];
    return `the first prediction of ${job.modelName} v${job.version.version} on a new function instance downloads and unpacks its ${modelFileBytes(job.version.manifest, files)} bytes of model files within the same deadline, and they did not arrive in time; try again (a warm instance has them), and for a model this large deploy it to a SageMaker endpoint`;
  }

  async predict(job: PredictJob<OnnxRuntimeSpec>): Promise<RowPrediction[]> {
    const { version, modelName } = job;
    const modelFiles = onnxModelFiles(version.manifest, job.params.modelFile);
    if (!modelFiles) throw conflict('no_onnx_model', `The bundle of ${modelName} v${version.version} holds no .onnx file for the built-in ONNX Runtime`);
    const key = `${version.sha256}/${modelFiles[0]}`;
    const bytes = modelFileBytes(version.manifest, modelFiles) * SESSION_MEMORY_FACTOR;
    return this.sessions.with(key, bytes, () => this.load(job, modelFiles), async (session) => {
      const plan = planFeeds(declaredInputs(session), job.input, job.params, job.limits, modelName);
      const ort = await loadOnnxRuntime();
      const outputs = tensorOutputs(session);
      const predictions: RowPrediction[] = [];
      for (const feeds of plan.runs) {
        let results: Record<string, OrtTensor>;
        try {
          results = await session.run(toOrtFeeds(ort, feeds), outputs);
        } catch (error) {
          // Shapes and types were checked against the model's declaration; what is left is input
          // the graph itself refuses (e.g. a dimension two inputs must share).
          throw invalid('invalid_input', `ONNX Runtime refused the input for model '${modelName}': ${redact(String((error as Error)?.message ?? error))}`);
        }
        const rows = plan.runs.length === 1 ? plan.rows : 1;
        predictions.push(...rowPredictions(results, outputs, rows, modelName));
      }
      return predictions;
    });
  }

  private async load(job: PredictJob<OnnxRuntimeSpec>, modelFiles: readonly string[]): Promise<InferenceSession> {
    // The files stay in the cache until the session has read them.
    return this.files.use(job.version, modelFiles, async ([path]) => {
      const ort = await loadOnnxRuntime();
      try {
        return await ort.InferenceSession.create(path!, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
      } catch (error) {
        const message = redact(String((error as Error)?.message ?? error).replaceAll(path!, modelFiles[0]!));
        throw conflict('model_unloadable', `ONNX Runtime could not load ${modelFiles[0]} from ${job.modelName} v${job.version.version}: ${message}`);
      }
    }, (phase) => this.track(job.version, phase));
  }

  private track(version: ModelVersionRef, phase: 'fetching' | 'ready'): void {
    if (phase === 'fetching') this.preparing.add(version.sha256);
    else this.preparing.delete(version.sha256);
  }
}

function toOrtFeeds(ort: Ort, feeds: Feeds): Record<string, OrtTensor> {
  const tensors: Record<string, OrtTensor> = {};
  for (const [name, feed] of Object.entries(feeds)) {
    tensors[name] = new ort.Tensor(feed.type as 'float32', feed.data as Float32Array, feed.dims);
  }
  return tensors;
}
