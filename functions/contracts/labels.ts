import * as z from 'zod/mini';

/**
 * Characters a person cannot read back from a short label, as a regular-expression class body:
 * control characters (Cc: NUL, ESC, newlines), format characters (Cf: bidirectional overrides such
 * as U+202E, which make a name read as another, zero-width characters) and the line and paragraph
 * separators (Zl, Zp). Labels are shown in listings, terminals and headers, where these would
 * break a line, hide what a label says or pass for another one.
 */
export const UNREADABLE_CHARACTERS = String.raw`\p{Cc}\p{Cf}\p{Zl}\p{Zp}`;

/** A text with no unreadable character (empty included: length is checked on its own). */
export const READABLE_TEXT = new RegExp(`^[^${UNREADABLE_CHARACTERS}]*$`, 'u');

/** The check a label's schema adds: no control, format or line-separator characters. */
export const readableText = () => z.regex(READABLE_TEXT, 'must not contain control, format or line-separator characters');

/**
 * A short label a person reads back later (a token's name, the user a grant names): a string,
 * trimmed, 1 to `max` characters, none of them unreadable. Bundle file names hold to the same
 * characters (functions/versions/bundle-filename.ts).
 */
export const label = (max: number) =>
  // Checked before trimming: a trim would silently drop a line separator or form feed at either
  // end, and a grant would go to another user id than the one sent.
  z.string({ error: 'must be a string' }).check(readableText(), z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));
