import { CONFIG_ENV } from '../../functions/platform/function-config';
import type { RouteId } from '../../functions/routes/route-table';

/** The deployment's upload settings (stack options maxBundleBytes, maxUnpackedBytes and presignSeconds, and what predict can hold). */
export interface UploadSettings {
  readonly maxBundleBytes: number;
  readonly maxUnpackedBytes: number;
  /** The predict functions' model cache size (lib/functions/inference-runtime.ts), which bundle checks and version views compare model files with. */
  readonly builtinModelBytes: number;
  readonly presignSeconds: number;
}

export type UploadSetting = keyof UploadSettings;

/**
 * Which upload settings each route's handler reads (functions/platform/function-config.ts
 * `uploads`), by route id; every route is listed, so a new one must say.
 */
export const ROUTE_UPLOAD_SETTINGS: Readonly<Record<RouteId, readonly UploadSetting[]>> = {
  // Refuses a declared size over the limit before any byte moves, then signs the first URLs; the
  // unpacked limit comes with the upload limit, which may not exceed it (function-config.ts).
  createUpload: ['maxBundleBytes', 'maxUnpackedBytes', 'presignSeconds'],
  // Check a bundle's contents: a direct upload at once, a completed one when it is small enough.
  uploadBundle: ['maxUnpackedBytes', 'builtinModelBytes'],
  completeUpload: ['maxUnpackedBytes', 'builtinModelBytes'],
  // Signs fresh part URLs, so that a client can resume.
  getUpload: ['presignSeconds'],
  // Signs the GET URL that a large bundle's download redirects to.
  downloadBundle: ['presignSeconds'],
  // Retires the keys of the versions an upload URL may still reach: those started within a
  // session's life and a URL's (functions/platform/bundle-services.ts modelRemoval).
  deleteModel: ['presignSeconds'],
  // Show versions, whose builtin_runtime compares model files with the predict function's cache as it is now.
  getModel: ['builtinModelBytes'], updateModel: ['builtinModelBytes'], getVersion: ['builtinModelBytes'], deleteVersion: ['builtinModelBytes'],
  // As createUpload, getUpload and completeUpload, for datasets (the bundle limit is theirs too).
  createDataset: ['maxBundleBytes', 'maxUnpackedBytes', 'presignSeconds'],
  getDatasetUpload: ['presignSeconds'],
  completeDatasetUpload: [], abortDatasetUpload: [], listDatasets: [], getDataset: [], deleteDataset: [],
  // Signs the GETs of a job's results and errors files.
  getJobResults: ['presignSeconds'],
  createJob: [], listJobs: [], getJob: [], cancelJob: [],
  getStatus: [], getOpenApi: [], listModels: [], createModel: [], listUploads: [], publishVersion: [],
  deployVersion: [], getDeployment: [], undeployVersion: [],
  abortUpload: [], predictModel: [], predictModelWithGet: [], citeModel: [],
  getAccess: [], putAccess: [], createToken: [], listTokens: [], deleteToken: [], getMe: [],
};

/** The upload settings of a route's function as environment variables: those its route reads. */
export function uploadEnvironment(routeId: string, settings: UploadSettings): Record<string, string> {
  const wanted = (ROUTE_UPLOAD_SETTINGS as Readonly<Record<string, readonly UploadSetting[] | undefined>>)[routeId] ?? [];
  return Object.fromEntries(wanted.map((setting) => [CONFIG_ENV[setting], String(settings[setting])]));
}
