import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthScratchDir } from './synth-scratch';
import { fileURLToPath } from 'node:url';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { buildSync, type BuildOptions } from 'esbuild';

/** The repository root: NodejsFunction's project root, and esbuild's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The source of a handler module named in the route table. */
export const handlerEntry = (handler: string): string => join(PROJECT_ROOT, 'functions', 'handlers', `${handler}.ts`);

/**
 * The package the inference engine requires at run time (functions/inference/backends/onnx-runtime-backend.ts):
 * its native binaries cannot be bundled.
 */
export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';

/**
 * The AWS SDK's default credential chain, replaced in every bundle by the environment's
 * credentials alone (functions/platform/env-credentials.ts says why).
 */
export const CREDENTIAL_CHAIN_ALIAS = {
  '@aws-sdk/credential-provider-node': join(PROJECT_ROOT, 'functions', 'platform', 'env-credentials.ts'),
} as const;

/**
 * Powertools' Tracer and the X-Ray SDK under it (about 120 KB minified): loaded only on a sampled
 * invocation (functions/observability/tracing.ts), so it stays out of the bundle, whose every
 * byte Node parses on each cold start, and ships beside it as a package of its own
 * (writeTracerPackage), found by name from index.mjs.
 */
export const TRACER_PACKAGE = '@aws-lambda-powertools/tracer';

/**
 * citation-js with MLHub's plugins and styles (functions/citations/citation-engine.ts, about
 * 1.4 MB minified), as the functions that answer a model's URL import it: by this subpath import
 * (package.json `imports`), on the first citation or landing page they are asked for. Their
 * bundles leave it out, since Node parses every byte of a bundle on each cold start, even code
 * it never runs, and JSON callers must not pay for it; it ships beside the bundle
 * (writeCitationEnginePackage). GET /model/{name}/cite bundles it, and warms it at init.
 */
export const CITATION_ENGINE_IMPORT = '#citation-engine';

/** The handlers that import CITATION_ENGINE_IMPORT, and get the engine beside their bundle. */
export const CITATION_ENGINE_HANDLERS: readonly string[] = ['get-model', 'get-version'];

/** NodejsFunction's name for an ESM bundle; the Lambda handler is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * ESM has no `require`, but CommonJS dependencies bundled into ESM still call it for Node
 * built-ins; the banner gives the bundle one.
 */
const REQUIRE_SHIM = "import{createRequire as __mlhubCreateRequire}from'node:module';const require=__mlhubCreateRequire(import.meta.url);";

/**
 * How every handler is bundled, wherever it is bundled: by the stack (through NodejsFunction), by
 * the bundle test and by the bundle benchmark (through esbuild's API). Change it here only.
 */
export const HANDLER_BUNDLE = {
  format: OutputFormat.ESM,
  // Lambda runs nodejs24.x (route-function.ts); node20 output runs there and on the Node 20 that tests and benchmarks the bundles.
  target: 'node20',
  minify: true,
  // External .map files keep the bundle small; HANDLER_NODE_OPTIONS makes stack traces use them.
  sourceMap: true,
  // Stack traces need only the mappings; embedded sources would more than double the map and
  // the time Node takes to load it on every cold start.
  sourcesContent: false,
  // Prefer the ES-module builds of the AWS SDK and Smithy, which esbuild can tree-shake.
  mainFields: ['module', 'main'],
  banner: REQUIRE_SHIM,
  // Bundle the AWS SDK rather than use the runtime's copy: tree-shaken, and the version our lockfile pins.
  // Only onnxruntime-node stays out, which the functions that predict get from a layer
  // (lib/functions/onnx-runtime-layer.ts), and the tracer and the citation engine, which ship beside the bundle.
  externalModules: [ONNX_RUNTIME_PACKAGE, TRACER_PACKAGE, CITATION_ENGINE_IMPORT] as string[],
} as const;

/** Lambda reads source maps only when asked to. */
export const HANDLER_NODE_OPTIONS = '--enable-source-maps';

/**
 * Writes TRACER_PACKAGE into a function's asset folder as `node_modules/@aws-lambda-powertools/tracer`:
 * one minified ESM file (index.mjs) and a package.json naming it, bundled as the handlers are.
 */
export function writeTracerPackage(assetDir: string): string {
  const dir = join(assetDir, 'node_modules', ...TRACER_PACKAGE.split('/'));
  mkdirSync(dir, { recursive: true });
  buildSync({
    stdin: { contents: `export * from '${TRACER_PACKAGE}';`, resolveDir: PROJECT_ROOT, loader: 'js' },
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: HANDLER_BUNDLE.format,
    target: HANDLER_BUNDLE.target,
    minify: HANDLER_BUNDLE.minify,
    mainFields: [...HANDLER_BUNDLE.mainFields],
    banner: { js: HANDLER_BUNDLE.banner },
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: TRACER_PACKAGE, type: 'module', exports: './index.mjs' })}\n`);
  return dir;
}

/**
 * Writes CITATION_ENGINE_IMPORT into a function's asset folder: `citation-engine/index.mjs` (with
 * its source map), bundled as the handlers are, and a package.json whose `imports` maps the
 * subpath to it, which Node reads for index.mjs beside it (Node.js, "Subpath imports").
 */
export function writeCitationEnginePackage(assetDir: string): string {
  buildSync({
    entryPoints: [join(PROJECT_ROOT, 'functions', 'citations', 'citation-engine.ts')],
    outfile: join(assetDir, 'citation-engine', 'index.mjs'),
    ...sharedBuildOptions(),
  });
  writeFileSync(join(assetDir, 'package.json'), `${JSON.stringify({ private: true, imports: { [CITATION_ENGINE_IMPORT]: './citation-engine/index.mjs' } })}\n`);
  return assetDir;
}

/** Built once per synth; each function's asset copies it (NodejsFunction's afterBundling runs in bash). */
let builtTracerPackage: string | undefined;

let builtCitationEngine: string | undefined;

const quoted = (path: string): string => `'${path.replace(/'/g, "'\\''")}'`;

function copyCitationEngineInto(outputDir: string): string {
  if (builtCitationEngine === undefined) builtCitationEngine = writeCitationEnginePackage(synthScratchDir('mlhub-citation-engine-'));
  return `cp -R ${quoted(join(builtCitationEngine, 'citation-engine'))} ${quoted(join(builtCitationEngine, 'package.json'))} ${quoted(outputDir)}`;
}

function copyTracerPackageInto(outputDir: string): string {
  if (builtTracerPackage === undefined) {
    builtTracerPackage = synthScratchDir('mlhub-tracer-package-');
    writeTracerPackage(builtTracerPackage);
  }
  return `cp -R ${quoted(join(builtTracerPackage, 'node_modules'))} ${quoted(outputDir)}`;
}

/** HANDLER_BUNDLE as NodejsFunction's bundling options for `handler`: local esbuild, never Docker. */
export function nodejsFunctionBundling(handler: string): BundlingOptions {
  return {
    format: HANDLER_BUNDLE.format,
    target: HANDLER_BUNDLE.target,
    minify: HANDLER_BUNDLE.minify,
    sourceMap: HANDLER_BUNDLE.sourceMap,
    sourcesContent: HANDLER_BUNDLE.sourcesContent,
    mainFields: [...HANDLER_BUNDLE.mainFields],
    banner: HANDLER_BUNDLE.banner,
    externalModules: [...HANDLER_BUNDLE.externalModules],
    esbuildArgs: { '--alias': Object.entries(CREDENTIAL_CHAIN_ALIAS).map(([from, to]) => `${from}=${to}`) },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        copyTracerPackageInto(outputDir),
        ...(CITATION_ENGINE_HANDLERS.includes(handler) ? [copyCitationEngineInto(outputDir)] : []),
      ],
    },
    forceDockerBundling: false,
  };
}

/** HANDLER_BUNDLE as esbuild build options, matching the command line NodejsFunction runs. */
export function esbuildBundleOptions(handler: string, outdir: string): BuildOptions {
  return {
    entryPoints: [handlerEntry(handler)],
    outfile: join(outdir, BUNDLE_FILE),
    ...sharedBuildOptions(),
    external: [...HANDLER_BUNDLE.externalModules],
    alias: { ...CREDENTIAL_CHAIN_ALIAS },
  };
}

/** What every bundle MLHub builds itself shares: HANDLER_BUNDLE's format, target and output settings. */
function sharedBuildOptions(): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: HANDLER_BUNDLE.format,
    target: HANDLER_BUNDLE.target,
    minify: HANDLER_BUNDLE.minify,
    sourcemap: HANDLER_BUNDLE.sourceMap,
    sourcesContent: HANDLER_BUNDLE.sourcesContent,
    mainFields: [...HANDLER_BUNDLE.mainFields],
    banner: { js: HANDLER_BUNDLE.banner },
    logLevel: 'silent',
  };
}
