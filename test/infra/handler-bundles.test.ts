import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importInFreshNode } from '../../bench/support/fresh-import';
import { bundleHandlers, DEPLOYED_HANDLERS, type HandlerBundle } from '../../bench/support/handler-bundles';
import { CATALOGUE_FUNCTIONS } from '../../functions/catalogue/function-catalogue';
import { FALLBACK_HANDLER, ROUTES, type RouteSpec } from '../../functions/routes/route-table';
import { HANDLER_NODE_OPTIONS, ONNX_RUNTIME_PACKAGE } from '../../lib/functions/handler-bundling';
import { buildOnnxRuntimeLayer, LAYER_NODE_MODULES } from '../../lib/functions/onnx-runtime-layer-contents';

let workdir: string;
let bundles: HandlerBundle[];
/** The ONNX Runtime layer built for this machine (x64), as Lambda's NODE_PATH would reach it. */
let layerNodePath: string;

/** Whether a bundle requires onnxruntime-node, which it leaves to the layer. */
const requiresOnnxRuntime = (bundle: HandlerBundle): boolean => readFileSync(bundle.file, 'utf8').includes(`("${ONNX_RUNTIME_PACKAGE}")`);

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'mlhub-handler-bundles-'));
  bundles = await bundleHandlers(DEPLOYED_HANDLERS, workdir);
  const layer = join(workdir, 'onnx-runtime-layer');
  buildOnnxRuntimeLayer(layer, process.arch === 'arm64' ? 'arm64' : 'x64');
  layerNodePath = join(layer, LAYER_NODE_MODULES);
}, 120_000);

afterAll(async () => {
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

describe('handler bundles', () => {
  it('covers every handler the route table and the function catalogue name, and the fallback', () => {
    const named = new Set([...ROUTES.map((route) => route.handler), FALLBACK_HANDLER, ...CATALOGUE_FUNCTIONS.map((fn) => fn.handler)]);
    expect(new Set(bundles.map((bundle) => bundle.handler))).toEqual(named);
    expect(named.has('finalize-upload')).toBe(true);
    expect(named.has('sweep-versions')).toBe(true);
  });

  it.each(DEPLOYED_HANDLERS.map((handler) => [handler]))('%s imports in a fresh node process, with no configuration (and the ONNX Runtime layer on NODE_PATH if it needs it), and exports its handler', async (handler) => {
    const bundle = bundles.find((candidate) => candidate.handler === handler) as HandlerBundle;
    const imported = await importInFreshNode(bundle.file, { nodeOptions: HANDLER_NODE_OPTIONS, ...(requiresOnnxRuntime(bundle) ? { nodePath: layerNodePath } : {}) });
    expect(imported.exports).toContain('handler');
    expect(imported.stderr).toBe('');
  });

  it('leaves onnxruntime-node out of the handlers that predict (predict bodies, or also answering as such a route), and only of them', () => {
    const predicts = (route: RouteSpec): boolean => route.body === 'predict' || ROUTES.some((other) => other.id === route.alsoAnswersAs && predicts(other));
    const predictingHandlers = [...new Set(ROUTES.filter(predicts).map((route) => route.handler))].sort();
    expect(predictingHandlers).toEqual(['create-model', 'predict-model']);
    expect(bundles.filter(requiresOnnxRuntime).map((bundle) => bundle.handler).sort()).toEqual(predictingHandlers);
  });

  it('notices a bundle that needs a module it does not contain', async () => {
    const broken = join(workdir, 'broken.mjs');
    await writeFile(broken, "import 'mlhub-no-such-package';\nexport const handler = () => {};\n");
    await expect(importInFreshNode(broken)).rejects.toThrow(/Cannot find package 'mlhub-no-such-package'/);
  });
});
