/**
 * Bundled as a handler is (lib/functions/handler-bundling.ts) and run in a fresh `node` process
 * by the layer test: loads onnxruntime-node exactly as the engine does (through its
 * loadOnnxRuntime), from wherever NODE_PATH points, and runs the model file named by argv[2] on
 * the float32 row in argv[3]. Prints what it computed, which files it loaded, and whether an ESM
 * `import()` could have found the package instead.
 */
import { createRequire } from 'node:module';
import { loadOnnxRuntime } from '../../../functions/inference/backends/onnx-runtime-backend';

const modelPath = process.argv[2] as string;
const row = JSON.parse(process.argv[3] as string) as number[];

let esmImport: string;
try {
  await import('onnxruntime-node');
  esmImport = 'loaded';
} catch (error) {
  esmImport = (error as NodeJS.ErrnoException).code ?? String(error);
}

const ort = await loadOnnxRuntime();
const session = await ort.InferenceSession.create(modelPath);
const [inputName, outputName] = [session.inputNames[0] as string, session.outputNames[0] as string];
const results = await session.run({ [inputName]: new ort.Tensor('float32', Float32Array.from(row), [1, row.length]) });

process.stdout.write(JSON.stringify({
  output: Array.from(results[outputName]?.data as Float32Array),
  // Every CommonJS module and native addon loaded so far, by file.
  loaded: Object.keys(createRequire(import.meta.url).cache),
  esmImport,
}));
