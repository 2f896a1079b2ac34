import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importInFreshNode } from '../../bench/support/fresh-import';
import { bundleHandlers, DEPLOYED_HANDLERS, type HandlerBundle } from '../../bench/support/handler-bundles';
import { CATALOGUE_FUNCTIONS } from '../../functions/catalogue/function-catalogue';
import { FALLBACK_HANDLER, ROUTES, type RouteSpec } from '../../functions/routes/route-table';
import { CITATION_ENGINE_HANDLERS, CITATION_ENGINE_IMPORT, HANDLER_NODE_OPTIONS, ONNX_RUNTIME_PACKAGE, PROJECT_ROOT, TRACER_PACKAGE, writeCitationEnginePackage, writeTracerPackage } from '../../lib/functions/handler-bundling';
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
}, 300_000);

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

  it('leaves onnxruntime-node out of the handlers that predict, and only of them: createModel hands image forms to the predict function', () => {
    const predictingHandlers = [...new Set(ROUTES.filter((route: RouteSpec) => route.body === 'predict').map((route) => route.handler))].sort();
    expect(predictingHandlers).toEqual(['predict-model']);
    // And the catalogue functions that run models (the batch job's plan and chunk steps), which have the layer.
    const withLayer = CATALOGUE_FUNCTIONS.filter((fn) => fn.layers?.includes('onnx-runtime')).map((fn) => fn.handler);
    expect(withLayer.sort()).toEqual(['plan-job', 'run-job-chunk']);
    expect(bundles.filter(requiresOnnxRuntime).map((bundle) => bundle.handler).sort()).toEqual([...predictingHandlers, ...withLayer].sort());
    const create = (bundles.find((bundle) => bundle.handler === 'create-model') as HandlerBundle).contributors.map((contributor) => contributor.source);
    // No backends, no image decoding, no multipart parsing: the predict path stays in the predict function.
    for (const predictPath of ['functions/inference/backends', 'functions/inference/images', 'pngjs', 'jpeg-js', '@fastify/busboy', '@aws-sdk/client-sagemaker-runtime']) {
      expect(create).not.toContain(predictPath);
      expect((bundles.find((bundle) => bundle.handler === 'predict-model') as HandlerBundle).contributors.map((contributor) => contributor.source)).toContain(predictPath);
    }
    expect(create).toContain('@aws-sdk/client-lambda');
  });

  it('carries neither the SDK\'s credential chain (STS, SSO, profiles) nor the X-Ray SDK: credentials come from the environment, the tracer from beside the bundle', () => {
    for (const bundle of bundles) {
      const sources = bundle.contributors.map((contributor) => contributor.source);
      expect(sources, bundle.handler).not.toContain('@aws-sdk/nested-clients');
      expect(sources, bundle.handler).not.toContain('@aws-sdk/credential-provider-node');
      expect(sources, bundle.handler).not.toContain('aws-xray-sdk-core');
      expect(sources, bundle.handler).not.toContain(TRACER_PACKAGE);
    }
    const withClients = bundles.filter((bundle) => bundle.contributors.some((contributor) => contributor.source === '@aws-sdk/client-dynamodb'));
    expect(withClients.length).toBeGreaterThan(0);
    for (const bundle of withClients) expect(bundle.contributors.map((contributor) => contributor.source), bundle.handler).toContain('@aws-sdk/credential-provider-env');
  });

  it('finds the tracer package written beside a bundle by its name, and it instruments an SDK client for X-Ray', async () => {
    const bundle = bundles.find((candidate) => candidate.handler === 'get-model') as HandlerBundle;
    expect(readFileSync(bundle.file, 'utf8')).toContain(`import("${TRACER_PACKAGE}")`);
    writeTracerPackage(dirname(bundle.file));
    const probe = join(dirname(bundle.file), 'tracer-probe.mjs');
    await writeFile(probe, [
      "import { createRequire } from 'node:module';",
      "import { pathToFileURL } from 'node:url';",
      `const { Tracer } = await import(pathToFileURL(createRequire(${JSON.stringify(bundle.file)}).resolve('${TRACER_PACKAGE}')).href);`,
      `const { S3Client } = await import(pathToFileURL(createRequire(${JSON.stringify(join(PROJECT_ROOT, 'package.json'))}).resolve('@aws-sdk/client-s3')).href);`,
      "const client = new Tracer({ serviceName: 'mlhub' }).captureAWSv3Client(new S3Client({ region: 'us-east-1' }));",
      "const names = client.middlewareStack.identify().join(', ');",
      "if (!names.includes('XRaySDKInstrumentation')) throw new Error(`not instrumented: ${names}`);",
      'export const handler = names;',
    ].join('\n'));
    const imported = await importInFreshNode(probe, { env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    expect(imported.stderr).toBe('');
    expect(imported.exports).toContain('handler');
  });

  it('leaves citation-js out of the bundles that answer a model\'s URL, which find it beside them, and only the cite function bundles it', async () => {
    for (const bundle of bundles) {
      const sources = bundle.contributors.map((contributor) => contributor.source);
      const text = readFileSync(bundle.file, 'utf8');
      if (bundle.handler === 'cite-model') expect(sources).toContain('citeproc');
      else expect(sources, bundle.handler).not.toContain('citeproc');
      // Only the functions that get the engine beside their bundle may ask for it.
      expect(text.includes(`import("${CITATION_ENGINE_IMPORT}")`), bundle.handler).toBe(CITATION_ENGINE_HANDLERS.includes(bundle.handler));
    }
    const bundle = bundles.find((candidate) => candidate.handler === 'get-model') as HandlerBundle;
    writeCitationEnginePackage(dirname(bundle.file));
    const probe = join(dirname(bundle.file), 'citation-engine-probe.mjs');
    await writeFile(probe, [
      `const engine = await import('${CITATION_ENGINE_IMPORT}');`,
      "const item = { id: 'probe', type: 'software', title: 'Probe', author: [{ family: 'Carberry', given: 'Josiah' }], issued: { 'date-parts': [[2024]] } };",
      "export const handler = [engine.formatBibtex(item), engine.formatBibliography(item, 'ieee', 'text')].join('|');",
      "if (!handler.includes('author = {Carberry, Josiah}') || !handler.includes('[1] J. Carberry')) throw new Error(handler);",
    ].join('\n'));
    const imported = await importInFreshNode(probe, { nodeOptions: HANDLER_NODE_OPTIONS });
    expect(imported.stderr).toBe('');
    expect(imported.exports).toContain('handler');
  }, 60_000);

  it('notices a bundle that needs a module it does not contain', async () => {
    const broken = join(workdir, 'broken.mjs');
    await writeFile(broken, "import 'mlhub-no-such-package';\nexport const handler = () => {};\n");
    await expect(importInFreshNode(broken)).rejects.toThrow(/Cannot find package 'mlhub-no-such-package'/);
  });
});
