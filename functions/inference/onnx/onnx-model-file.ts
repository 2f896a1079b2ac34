import type { BundleManifest } from '../../bundles/bundle-manifest';
import { conflict } from '../../errors/app-error';

/** Where ONNX keeps weights outside the graph file (`save_as_external_data`), beside it. */
const EXTERNAL_DATA = /\.(data|onnx_data|bin|weights)$/i;

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

const isOnnx = (path: string): boolean => path.toLowerCase().endsWith('.onnx');

/**
 * The .onnx file to run, and the external-data files beside it that ONNX Runtime will look for:
 * params.json's "model" if it names one, else `model.onnx`, else the only .onnx file.
 * A "model" that is not a .onnx file names the model for another backend (TFaaS's `model.pb`)
 * and is passed over. Returns undefined for a bundle without any .onnx file; throws 409
 * `model_file_missing` when "model" names a .onnx file the bundle lacks, and 409
 * `ambiguous_model_file` when nothing picks one of several. The upload check (bundles/
 * builtin-runtime.ts) and predict both decide by this function.
 */
export function onnxModelFiles(manifest: Pick<BundleManifest, 'files'>, preferred: string | undefined): string[] | undefined {
  const paths = manifest.files.map((file) => file.path);
  const candidates = paths.filter(isOnnx);
  if (preferred !== undefined && isOnnx(preferred) && !candidates.includes(preferred)) {
    throw conflict('model_file_missing', `The bundle's params.json names "model": "${preferred}", which the bundle does not hold`);
  }
  if (candidates.length === 0) return undefined;
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
