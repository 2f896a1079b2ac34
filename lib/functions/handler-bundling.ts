import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The repository root: NodejsFunction's project root, and esbuild's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The source of a handler module named in the route table. */
export const handlerEntry = (handler: string): string => join(PROJECT_ROOT, 'functions', 'handlers', `${handler}.ts`);

/**
 * The package the inference engine requires at run time (functions/inference/backends/onnx-runtime-backend.ts):
 * its native binaries cannot be bundled.
 */
export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';

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
  // Lambda runs nodejs22.x; node20 output also runs on the Node 20 that tests and benchmarks the bundles.
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
  // Only onnxruntime-node stays out; the functions that predict get it from a layer
  // (lib/functions/onnx-runtime-layer.ts).
  externalModules: [ONNX_RUNTIME_PACKAGE] as string[],
} as const;

/** Lambda reads source maps only when asked to. */
export const HANDLER_NODE_OPTIONS = '--enable-source-maps';

/** HANDLER_BUNDLE as NodejsFunction's bundling options: local esbuild, never Docker. */
export function nodejsFunctionBundling(): BundlingOptions {
  return {
    format: HANDLER_BUNDLE.format,
    target: HANDLER_BUNDLE.target,
    minify: HANDLER_BUNDLE.minify,
    sourceMap: HANDLER_BUNDLE.sourceMap,
    sourcesContent: HANDLER_BUNDLE.sourcesContent,
    mainFields: [...HANDLER_BUNDLE.mainFields],
    banner: HANDLER_BUNDLE.banner,
    externalModules: [...HANDLER_BUNDLE.externalModules],
    forceDockerBundling: false,
  };
}

/** HANDLER_BUNDLE as esbuild build options, matching the command line NodejsFunction runs. */
export function esbuildBundleOptions(handler: string, outdir: string): BuildOptions {
  return {
    entryPoints: [handlerEntry(handler)],
    outfile: join(outdir, BUNDLE_FILE),
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
    external: [...HANDLER_BUNDLE.externalModules],
    logLevel: 'silent',
  };
}
