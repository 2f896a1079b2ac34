import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { ONNX_RUNTIME_PACKAGE, PROJECT_ROOT } from './handler-bundling';

/** A CPU architecture as Node names it (`process.arch`), and onnxruntime-node its binary folders. */
export type NodeArchitecture = 'arm64' | 'x64';

/** Where a layer keeps Node.js packages: Lambda unpacks it at /opt, and /opt/nodejs/node_modules is on NODE_PATH. */
export const LAYER_NODE_MODULES = 'nodejs/node_modules';

/**
 * Dependencies of onnxruntime-node that only its postinstall script (script/install.js, which
 * downloads CUDA files) uses; loading the package never requires them.
 */
const INSTALL_ONLY_DEPENDENCIES: ReadonlySet<string> = new Set(['adm-zip', 'global-agent']);

/** One file of the layer: where it comes from, and its path inside the layer (POSIX separators). */
export interface LayerFile {
  readonly source: string;
  readonly target: string;
}

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly binary?: { readonly napi_versions?: readonly number[] };
}

/** What of a package the layer needs, by path inside the package. */
interface PackagePlan {
  readonly name: string;
  readonly wanted: (path: string, pkg: PackageJson) => boolean;
}

const isRuntimeJs = (path: string): boolean => /\.(c?js|json)$/.test(path) && !path.endsWith('.map');

/** The Node-API folders onnxruntime-node's loader (dist/binding.js) requires its binding from: `bin/napi-v<N>/<platform>/<arch>/`. */
const bindingFolders = (pkg: PackageJson, architecture: NodeArchitecture): string[] =>
  (pkg.binary?.napi_versions ?? []).map((version) => `bin/napi-v${version}/linux/${architecture}/`);

/**
 * The layer, package by package: onnxruntime-node's manifest, compiled JS and the linux binaries
 * of one architecture (the binding and the libonnxruntime it links), and the CommonJS build of
 * onnxruntime-common, which is all `require` reaches. No sources, typings, maps, install scripts,
 * or binaries for other systems (about 260 MB of the 290 MB package).
 */
function packagePlans(architecture: NodeArchitecture): PackagePlan[] {
  return [
    {
      name: ONNX_RUNTIME_PACKAGE,
      wanted: (path, pkg) => path === 'package.json'
        || (path.startsWith('dist/') && isRuntimeJs(path))
        || bindingFolders(pkg, architecture).some((folder) => path.startsWith(folder)),
    },
    {
      name: 'onnxruntime-common',
      // dist/cjs/package.json says "type": "commonjs" under a package that says "module": it must come too.
      wanted: (path) => path === 'package.json' || (path.startsWith('dist/cjs/') && isRuntimeJs(path)),
    },
  ];
}

/** Finds a package as Node would from `fromDir`: in the nearest node_modules that has it. */
function packageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (looked upward from ${fromDir}); run npm ci`);
  }
}

const readPackage = (dir: string): PackageJson => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((path) => path.split(sep).join(posix.sep))
    .filter((path) => statSync(join(dir, path)).isFile())
    .sort();
}

/** The installed onnxruntime-node, whose version the layer carries. */
export function onnxRuntimePackage(projectRoot: string = PROJECT_ROOT): { readonly dir: string; readonly version: string } {
  const dir = packageDir(ONNX_RUNTIME_PACKAGE, projectRoot);
  return { dir, version: readPackage(dir).version };
}

/**
 * Every file of the ONNX Runtime layer for one architecture, from the installed packages. Throws
 * when the installed onnxruntime-node has no linux binary for it, or depends on a package the
 * plan does not account for (after an upgrade: decide whether loading needs it).
 */
export function onnxRuntimeLayerFiles(architecture: NodeArchitecture, projectRoot: string = PROJECT_ROOT): LayerFile[] {
  const plans = packagePlans(architecture);
  const packaged = new Set(plans.map((plan) => plan.name));
  const files: LayerFile[] = [];
  let from = projectRoot;
  for (const plan of plans) {
    const dir = packageDir(plan.name, from);
    const pkg = readPackage(dir);
    for (const [dependency, range] of Object.entries(pkg.dependencies ?? {})) {
      if (!packaged.has(dependency) && !INSTALL_ONLY_DEPENDENCIES.has(dependency)) {
        throw new Error(`${pkg.name} ${pkg.version} depends on ${dependency}, which the ONNX Runtime layer does not account for (lib/functions/onnx-runtime-layer-contents.ts)`);
      }
      const installed = packaged.has(dependency) ? readPackage(packageDir(dependency, dir)).version : undefined;
      if (installed !== undefined && /^\d+\.\d+\.\d+$/.test(range) && installed !== range) {
        throw new Error(`${pkg.name} ${pkg.version} needs ${dependency} ${range}, but ${installed} is installed`);
      }
    }
    if (plan.name === ONNX_RUNTIME_PACKAGE) {
      const folders = bindingFolders(pkg, architecture);
      if (folders.length === 0 || !folders.every((folder) => existsSync(join(dir, folder)))) {
        throw new Error(`${pkg.name} ${pkg.version} has no linux/${architecture} binary under bin/napi-v*/ (is onnxruntime-node installed in full?)`);
      }
    }
    for (const path of filesUnder(dir).filter((candidate) => plan.wanted(candidate, pkg))) {
      files.push({ source: join(dir, path), target: `${LAYER_NODE_MODULES}/${plan.name}/${path}` });
    }
    // Its dependencies are found from its own folder, as Node would.
    from = dir;
  }
  return files;
}

/** Copies the layer's files into `outputDir` (the layer's root: `nodejs/` goes directly inside). */
export function writeLayer(files: readonly LayerFile[], outputDir: string): void {
  for (const file of files) {
    const target = join(outputDir, ...file.target.split(posix.sep));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file.source, target);
  }
}

/** Builds the ONNX Runtime layer for one architecture into `outputDir`; returns its files. */
export function buildOnnxRuntimeLayer(outputDir: string, architecture: NodeArchitecture, projectRoot: string = PROJECT_ROOT): LayerFile[] {
  const files = onnxRuntimeLayerFiles(architecture, projectRoot);
  writeLayer(files, outputDir);
  return files;
}

/** A digest of the layer's paths and bytes: the asset changes exactly when what it would contain does. */
export function layerDigest(files: readonly LayerFile[]): string {
  const digest = createHash('sha256');
  for (const file of files) {
    digest.update(`${file.target}\0`);
    digest.update(createHash('sha256').update(readFileSync(file.source)).digest());
  }
  return digest.digest('hex');
}
