import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildBundleOptions, ONNX_RUNTIME_PACKAGE, PROJECT_ROOT } from '../../lib/functions/handler-bundling';
import {
  buildOnnxRuntimeLayer,
  LAYER_NODE_MODULES,
  layerDigest,
  onnxRuntimeLayerFiles,
  onnxRuntimePackage,
  type LayerFile,
  type NodeArchitecture,
} from '../../lib/functions/onnx-runtime-layer-contents';
import { onnxModel } from '../../scripts/models/onnx-graph';
import { ELF_MACHINE, isElf, readElf } from './support/elf';

const run = promisify(execFile);

/** Lambda's limit on a function and its layers, unzipped. */
const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;

/**
 * Shared libraries the Lambda Node.js runtime (Amazon Linux 2023) provides: glibc's, and the C++
 * runtime Node itself links. Anything else a binary needs must be in the layer, beside it.
 */
const SYSTEM_LIBRARIES = new Set([
  'libc.so.6', 'libm.so.6', 'libdl.so.2', 'librt.so.1', 'libpthread.so.0', 'libstdc++.so.6', 'libgcc_s.so.1',
  'ld-linux-aarch64.so.1', 'ld-linux-x86-64.so.2',
]);

/** y = x·W + b for one row of 3: a model small enough to check by hand. */
const W = [[1, 2], [3, 4], [5, 6]];
const B = [0.5, -1];
const tinyModel = (): Uint8Array => onnxModel({
  name: 'tiny_gemm',
  inputs: [{ name: 'x', type: 'float32', shape: ['N', 3] }],
  outputs: [{ name: 'y', type: 'float32', shape: ['N', 2] }],
  initializers: [
    { name: 'W', type: 'float32', dims: [3, 2], values: W.flat() },
    { name: 'b', type: 'float32', dims: [2], values: B },
  ],
  nodes: [{ op: 'Gemm', inputs: ['x', 'W', 'b'], outputs: ['y'] }],
});
const ROW = [1, -2, 0.25];
const EXPECTED = [0, 1].map((column) => ROW.reduce((sum, value, i) => sum + value * (W[i]?.[column] ?? 0), B[column] ?? 0));

let workdir: string;
const layers = new Map<NodeArchitecture, { dir: string; files: LayerFile[] }>();
let probe: string;
let model: string;

/** Every file under a directory, relative to it, with POSIX separators. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join(posix.sep)).sort();
}

/** Runs the probe bundle in a fresh `node`, from a folder outside the repository (so no node_modules of ours is in reach). */
async function runProbe(nodePath: string | undefined) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', ...(nodePath ? { NODE_PATH: nodePath } : {}) };
  const { stdout } = await run(process.execPath, [probe, model, JSON.stringify(ROW)], { cwd: workdir, env, encoding: 'utf8' });
  return JSON.parse(stdout) as { output: number[]; loaded: string[]; esmImport: string };
}

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'mlhub-onnx-layer-'));
  for (const architecture of ['arm64', 'x64'] as const) {
    const dir = join(workdir, `layer-${architecture}`);
    layers.set(architecture, { dir, files: buildOnnxRuntimeLayer(dir, architecture) });
  }
  model = join(workdir, 'tiny.onnx');
  await writeFile(model, tinyModel());
  // The probe is bundled with the handlers' own options, so onnxruntime-node stays external as in a handler.
  probe = join(workdir, 'probe', 'index.mjs');
  await build({ ...esbuildBundleOptions('predict-model', dirname(probe)), entryPoints: [join(PROJECT_ROOT, 'test/infra/support/onnx-layer-probe.ts')] });
}, 60_000);

afterAll(async () => {
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

const layerOf = (architecture: NodeArchitecture) => layers.get(architecture) as { dir: string; files: LayerFile[] };

describe('the ONNX Runtime layer for arm64 (what the predict functions deploy)', () => {
  it('holds onnxruntime-node and onnxruntime-common under nodejs/node_modules, where Lambda puts it on NODE_PATH, and nothing else', async () => {
    const files = await listFiles(layerOf('arm64').dir);
    expect(files).toEqual(layerOf('arm64').files.map((file) => file.target).sort());
    expect(new Set(files.map((file) => file.split('/').slice(0, 3).join('/')))).toEqual(new Set([
      `${LAYER_NODE_MODULES}/onnxruntime-node`,
      `${LAYER_NODE_MODULES}/onnxruntime-common`,
    ]));
    // No install scripts, sources, typings or source maps.
    expect(files.filter((file) => /\/(script|lib)\/|\.d\.ts$|\.map$|\.ts$/.test(file))).toEqual([]);
  });

  it('ships linux arm64 binaries only', async () => {
    const { dir } = layerOf('arm64');
    const files = await listFiles(dir);
    const binaries = files.filter((file) => isElf(join(dir, file)));
    expect(binaries.length).toBeGreaterThan(0);
    for (const file of binaries) expect(readElf(join(dir, file)).machine, file).toBe(ELF_MACHINE.arm64);
    expect(files.filter((file) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(file) && !file.includes('/bin/napi-v6/linux/arm64/'))).toEqual([]);
    expect(files.filter((file) => /\.(dylib|dll)$/.test(file))).toEqual([]);
  });

  it('has the binding onnxruntime-node\'s loader requires, and every library the binding needs beyond the system\'s', () => {
    const { dir } = layerOf('arm64');
    const packageDir = join(dir, LAYER_NODE_MODULES, ONNX_RUNTIME_PACKAGE);
    // dist/binding.js: require(`../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`)
    const loader = readFileSync(join(packageDir, 'dist', 'binding.js'), 'utf8');
    const required = /require\(`\.\.\/(bin\/napi-v\d+)\/\$\{process\.platform\}\/\$\{process\.arch\}\/([^`]+)`\)/.exec(loader);
    expect(required, 'the loader names its binding by platform and architecture').not.toBeNull();
    const binding = join(packageDir, required?.[1] ?? '', 'linux', 'arm64', required?.[2] ?? '');
    expect(statSync(binding).isFile()).toBe(true);

    // Follow the binding's dependencies as the dynamic loader would: RUNPATH $ORIGIN, then the system.
    const pending = [binding];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const file = pending.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const { machine, needed, runpath } = readElf(file);
      expect(machine).toBe(ELF_MACHINE.arm64);
      for (const library of needed) {
        const beside = join(dirname(file), library);
        let found = false;
        try {
          found = runpath?.startsWith('$ORIGIN') === true && statSync(beside).isFile();
        } catch {
          found = false;
        }
        if (found) pending.push(beside);
        else expect(SYSTEM_LIBRARIES.has(library), `${relative(dir, file)} needs ${library}, which is neither in the layer nor in the Lambda runtime`).toBe(true);
      }
    }
    expect([...seen].map((file) => relative(packageDir, file).split(sep).join('/')).sort()).toEqual(['bin/napi-v6/linux/arm64/libonnxruntime.so.1', 'bin/napi-v6/linux/arm64/onnxruntime_binding.node']);
  });

  it('needs no newer glibc or C++ runtime than Lambda\'s Node.js 24 runtime has (Amazon Linux 2023: glibc 2.34, GCC 11\'s libstdc++)', () => {
    const newest: Record<string, number[]> = { GLIBC: [2, 34], GLIBCXX: [3, 4, 29], CXXABI: [1, 3, 13] };
    const later = (a: number[], b: number[]): boolean => {
      for (let i = 0; i < Math.max(a.length, b.length); i += 1) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
      return false;
    };
    const { dir, files } = layerOf('arm64');
    const needed = new Set<string>();
    for (const file of files.filter((candidate) => isElf(candidate.source))) {
      // Symbol version names sit in the dynamic string table as plain text.
      for (const [, library = '', version = ''] of readFileSync(join(dir, file.target)).toString('latin1').matchAll(/\0(GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)\0/g)) {
        needed.add(library);
        expect(later(version.split('.').map(Number), newest[library] ?? []), `${file.target} needs ${library}_${version}`).toBe(false);
      }
    }
    expect([...needed].sort()).toEqual(['CXXABI', 'GLIBC', 'GLIBCXX']);
  });

  it('copies each file byte for byte from the installed packages', () => {
    for (const file of layerOf('arm64').files) {
      expect(readFileSync(join(layerOf('arm64').dir, file.target)).equals(readFileSync(file.source)), file.target).toBe(true);
    }
  });

  it('is far under Lambda\'s 250 MB unzipped limit, and a tenth of the installed package', async () => {
    const { dir } = layerOf('arm64');
    const bytes = (await listFiles(dir)).reduce((total, file) => total + statSync(join(dir, file)).size, 0);
    expect(bytes).toBeLessThan(40 * 1024 * 1024);
    expect(bytes).toBeLessThan(LAMBDA_UNZIPPED_LIMIT / 5);
    const installed = (await listFiles(onnxRuntimePackage().dir)).reduce((total, file) => total + statSync(join(onnxRuntimePackage().dir, file)).size, 0);
    expect(bytes).toBeLessThan(installed / 5);
  });

  it('is named by its contents: the same files give the same digest, another architecture another', () => {
    expect(layerDigest(onnxRuntimeLayerFiles('arm64'))).toBe(layerDigest(layerOf('arm64').files));
    expect(layerDigest(layerOf('x64').files)).not.toBe(layerDigest(layerOf('arm64').files));
  });
});

describe('the same layer built for x64 (this machine), as proof that pruning keeps what loading needs', () => {
  it('ships linux x64 binaries only, in the same layout', async () => {
    const { dir, files } = layerOf('x64');
    for (const file of files.filter((candidate) => isElf(candidate.source))) expect(readElf(join(dir, file.target)).machine, file.target).toBe(ELF_MACHINE.x64);
    const sameLayout = (targets: readonly string[]) => targets.map((target) => target.replace(/\/linux\/(arm64|x64)\//, '/linux/<arch>/')).sort();
    expect(sameLayout(await listFiles(dir))).toEqual(sameLayout(layerOf('arm64').files.map((file) => file.target)));
  });

  it('lets a bundled handler require onnxruntime-node through NODE_PATH alone, load a model and compute with it', async () => {
    const nodePath = join(layerOf('x64').dir, LAYER_NODE_MODULES);
    const result = await runProbe(nodePath);
    expect(result.output.map((value) => Number(value.toFixed(5)))).toEqual(EXPECTED);
    // Everything it loaded came from the layer (or the bundle itself), nothing from the repository.
    const outside = result.loaded.filter((file) => !file.startsWith(`${nodePath}${sep}`));
    expect(outside).toEqual([]);
    expect(result.loaded).toContain(join(nodePath, ONNX_RUNTIME_PACKAGE, 'bin', 'napi-v6', 'linux', 'x64', 'onnxruntime_binding.node'));
    // Why the engine requires: an ESM import() of the same bare name ignores NODE_PATH.
    expect(result.esmImport).toBe('ERR_MODULE_NOT_FOUND');
  }, 30_000);

  it('is what makes the package reachable: without NODE_PATH the same bundle cannot find it', async () => {
    await expect(runProbe(undefined)).rejects.toThrow(/Cannot find module 'onnxruntime-node'/);
  }, 30_000);
});
