export interface BundleLimits {
  /** Tar entries of any kind. */
  readonly maxEntries: number;
  /**
   * Bytes the whole gzip stream may inflate to (every member, tar headers and padding, and data
   * after the tar's end-of-archive), counted while streaming: the decompression-bomb guard.
   */
  readonly maxUnpackedBytes: number;
  /**
   * The most bytes of model files the predict function can hold (its model cache,
   * MLHUB_MODEL_CACHE_BYTES): a bundle whose model files need more is accepted, but its verdict
   * says the built-in runtime cannot run it here. Unset: no such check.
   */
  readonly maxBuiltinModelBytes?: number;
}

const GiB = 1024 ** 3;

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxEntries: 10_000,
  maxUnpackedBytes: 20 * GiB,
};

/** `params.json` and `labels.txt` are read into memory, so they have their own small caps. */
export const SIDECAR_LIMITS = {
  'params.json': 64 * 1024,
  'labels.txt': 1024 * 1024,
} as const;
