/** Every dataset object lives under this root, beside the bundles' `models/` (docs: DESIGN15.md, S3 keys). */
export const DATASET_ROOT = 'datasets/';

export const datasetPrefix = (id: string): string => `${DATASET_ROOT}${id}/`;
/** The bytes as uploaded. */
export const datasetDataKey = (id: string): string => `${datasetPrefix(id)}data`;
/** The decompressed copy of a gzip upload, written during the inspection's one pass. */
export const datasetPlainKey = (id: string): string => `${datasetPrefix(id)}plain`;
/** The inspection's layout (checkpoints, member offsets): can be large, so kept out of DynamoDB. */
export const datasetLayoutKey = (id: string): string => `${datasetPrefix(id)}layout.json`;

/** The dataset whose uploaded bytes a key holds, or undefined for any other key. */
export function parseDatasetDataKey(key: string): string | undefined {
  return /^datasets\/(ds_[0-9a-f]{24})\/data$/.exec(key)?.[1];
}
