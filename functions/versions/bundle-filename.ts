import { UNREADABLE_CHARACTERS } from '../contracts/labels';

/**
 * The file name a bundle was uploaded as, kept to name its download. A plain name only: no
 * control, format or line-separator characters (the labels' rule, functions/contracts/labels.ts:
 * they would break a Content-Disposition header, RFC 6266 §4.1, or hide what a name says, as
 * U+202E does), no path separators, no quotes, and not blank; 1 to 255 characters, as most file
 * systems allow.
 */
export const BUNDLE_FILENAME = new RegExp(String.raw`^(?!\s*$)[^${UNREADABLE_CHARACTERS}/\\"']{1,255}$`, 'u');

/** The upload's file name if it is a plain one; a browser or curl may send a path, or nothing usable. */
export function plainFilename(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const base = raw.split(/[/\\]/).pop() ?? '';
  return BUNDLE_FILENAME.test(base) ? base : undefined;
}
