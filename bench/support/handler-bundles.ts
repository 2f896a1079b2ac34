import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { everyFunction } from '../../functions/catalogue/function-catalogue';
import { FALLBACK_HANDLER } from '../../functions/routes/route-table';
import { BUNDLE_FILE, esbuildBundleOptions } from '../../lib/functions/handler-bundling';

/** Every handler module the stack deploys: one per route, the fallback, and one per function of the function catalogue. */
export const DEPLOYED_HANDLERS: readonly string[] = [...new Set([
  ...everyFunction().map((fn) => fn.handler),
  FALLBACK_HANDLER,
])];

export interface BundleContributor {
  /** An npm package, or a folder of this repository. */
  readonly source: string;
  readonly bytes: number;
}

export interface HandlerBundle {
  readonly handler: string;
  /** The bundle's entry file (its source map sits beside it). */
  readonly file: string;
  readonly bytes: number;
  /** Where the bundle's bytes come from, largest first. */
  readonly contributors: readonly BundleContributor[];
}

function sourceOf(inputPath: string): string {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(inputPath);
  return inPackage?.[1] ?? inputPath.split('/').slice(0, -1).join('/');
}

function contributors(metafile: Metafile): BundleContributor[] {
  // The bundle is the one output with an entry point; the other is its source map.
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined);
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    totals.set(sourceOf(input), (totals.get(sourceOf(input)) ?? 0) + bytesInOutput);
  }
  return [...totals].map(([source, bytes]) => ({ source, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Bundles each handler exactly as the stack does, into `<outdir>/<handler>/index.mjs`. */
export async function bundleHandlers(handlers: readonly string[], outdir: string): Promise<HandlerBundle[]> {
  return Promise.all(handlers.map(async (handler) => {
    const handlerDir = join(outdir, handler);
    // The metafile only describes the output; it does not change it.
    const result = await build({ ...esbuildBundleOptions(handler, handlerDir), metafile: true });
    const file = join(handlerDir, BUNDLE_FILE);
    return { handler, file, bytes: (await stat(file)).size, contributors: contributors(result.metafile) };
  }));
}
