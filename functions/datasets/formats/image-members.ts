import { otherImageFormat, sniffImageFormat } from '../../inference/images/image-format';

/** Names that say "image": a member so named whose bytes are not PNG or JPEG is a bad row, not skipped. */
const IMAGE_NAME = /\.(png|jpe?g|jfif|gif|webp|bmp|tiff?|heic|heif|avif)$/i;

/** Enough bytes to tell PNG, JPEG and the formats `otherImageFormat` names apart. */
export const SNIFF_BYTES = 32;

/**
 * What a tar member is for a batch job, from its name and first bytes: `png`/`jpeg` by magic bytes
 * (image-format.ts), another format's name (`GIF`, or `unknown`) for a member named like an image
 * that is neither, or undefined for any other file, which is skipped.
 */
export function memberFormat(name: string, head: Buffer): string | undefined {
  const format = sniffImageFormat(head);
  if (format) return format;
  if (!IMAGE_NAME.test(name)) return undefined;
  return otherImageFormat(head) ?? 'unknown';
}
