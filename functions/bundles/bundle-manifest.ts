import type { ModelType } from '../registry/model-type';

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
}

/** What a bundle holds, recorded once when the bundle is checked. */
export interface BundleManifest {
  /** The single folder everything sits in (as in `tar cfz mnist.tar.gz mnist`), or '' for the top level. */
  readonly root: string;
  readonly fileCount: number;
  readonly unpackedBytes: number;
  /** Regular files, relative to the root; at most MANIFEST_FILE_LIST_LIMIT of them. */
  readonly files: readonly ManifestFile[];
  readonly framework?: ModelType;
  readonly params?: Record<string, unknown>;
  readonly labels?: readonly string[];
}

/** Keeps a version's item far inside DynamoDB's 400 KB, whatever the bundle holds. */
export const MANIFEST_FILE_LIST_LIMIT = 500;
