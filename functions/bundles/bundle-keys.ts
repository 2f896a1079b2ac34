/** Every bundle object lives under this root. */
export const BUNDLE_ROOT = 'models/';

/** S3 key scheme: every object of a model lives under its prefix, so deleting a model is one sweep. */
export const modelPrefix = (name: string): string => `${BUNDLE_ROOT}${name}/`;

export const bundleKey = (name: string, version: number): string => `${modelPrefix(name)}${version}/bundle.tar.gz`;
