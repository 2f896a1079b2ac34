/**
 * The file name a bundle was uploaded as, kept to name its download. A plain name only: no
 * control characters (they would break a Content-Disposition header, RFC 6266 §4.1), no path
 * separators and no quotes; 1 to 255 characters, as most file systems allow.
 */
// eslint-disable-next-line no-control-regex -- refusing control characters is this pattern's job
export const BUNDLE_FILENAME = /^[^\x00-\x1f\x7f/\\"]{1,255}$/;

/** The upload's file name if it is a plain one; a browser or curl may send a path, or nothing usable. */
export function plainFilename(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const base = raw.split(/[/\\]/).pop() ?? '';
  return BUNDLE_FILENAME.test(base) ? base : undefined;
}
