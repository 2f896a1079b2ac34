import type { BundleManifest, ManifestLink } from '../../bundles/bundle-manifest';
import { conflict, type AppError } from '../../errors/app-error';

/** Where ONNX keeps weights outside the graph file (`save_as_external_data`), beside it. */
const EXTERNAL_DATA = /\.(data|onnx_data|bin|weights)$/i;

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

export const isOnnx = (path: string): boolean => path.toLowerCase().endsWith('.onnx');

/** A link where the model file should be: the archive holds its name, not its bytes. */
function linkedModelFile(link: ManifestLink): AppError {
  const [kind, flag] = link.type === 'symlink' ? ['symbolic link', '--dereference'] : ['hard link', '--hard-dereference'];
  return conflict('model_file_is_link',
    `${link.path} is a ${kind}; the built-in runtime reads regular files only: archive with tar ${flag} (or mlhub push, which follows links)`);
}

/**
 * The .onnx file to run, and the external-data files beside it that ONNX Runtime will look for:
 * params.json's "model" if it names one, else `model.onnx`, else the only .onnx file.
 * A "model" that is not a .onnx file names the model for another backend (TFaaS's `model.pb`)
 * and is passed over. Returns undefined for a bundle without any .onnx file; throws 409
 * `model_file_missing` when "model" names a .onnx file the bundle lacks, and 409
 * `ambiguous_model_file` when nothing picks one of several, and 409 `model_file_is_link` when the
 * file to run is a link (alone, or named by "model"). The upload check (bundles/
 * builtin-runtime.ts) and predict both decide by this function.
 */
export function onnxModelFiles(manifest: Pick<BundleManifest, 'files' | 'onnxLinks'>, preferred: string | undefined): string[] | undefined {
  const paths = manifest.files.map((file) => file.path);
  const candidates = paths.filter(isOnnx);
  const links = manifest.onnxLinks ?? [];
  if (preferred !== undefined && isOnnx(preferred) && !candidates.includes(preferred)) {
    const link = links.find((entry) => entry.path === preferred);
    if (link) throw linkedModelFile(link);
    throw conflict('model_file_missing', `The bundle's params.json names "model": "${preferred}", which the bundle does not hold`);
  }
  if (candidates.length === 0) {
    // Links only: name the one that would have been run had it been a file.
    const link = links.find((entry) => entry.path === 'model.onnx') ?? links[0];
    if (link) throw linkedModelFile(link);
    return undefined;
  }
  let chosen: string | undefined;
  if (preferred !== undefined && candidates.includes(preferred)) chosen = preferred;
  else if (candidates.includes('model.onnx')) chosen = 'model.onnx';
  else if (candidates.length === 1) chosen = candidates[0];
  if (chosen === undefined) {
    throw conflict('ambiguous_model_file',
      `The bundle holds several .onnx files (${candidates.slice(0, 5).join(', ')}); name the one to run as "model" in its params.json`);
  }
  const folder = folderOf(chosen);
  const siblings = paths.filter((path) => path !== chosen && folderOf(path) === folder && EXTERNAL_DATA.test(path));
  return [chosen, ...siblings];
}
