import { randomBytes } from 'node:crypto';

/** Every bundle object lives under this root. */
export const BUNDLE_ROOT = 'models/';

/** S3 key scheme: every object of a model lives under its prefix, so deleting a model is one sweep. */
export const modelPrefix = (name: string): string => `${BUNDLE_ROOT}${name}/`;

/**
 * A new, never-used key for one upload into one version: `models/<name>/<version>/<nonce>/bundle.tar.gz`.
 * The random nonce means no URL handed out for one upload can reach the object of another,
 * not even one of a later model created under the same name.
 */
export const newBundleKey = (name: string, version: number): string =>
  `${modelPrefix(name)}${version}/${randomBytes(12).toString('hex')}/bundle.tar.gz`;

/** The model and version a bundle key belongs to, or undefined for any other key. */
export function parseBundleKey(key: string): { name: string; version: number } | undefined {
  const match = /^models\/([^/]+)\/([1-9][0-9]{0,9})\/[0-9a-f]{24}\/bundle\.tar\.gz$/.exec(key);
  return match ? { name: match[1] as string, version: Number(match[2]) } : undefined;
}
