/**
 * Which image format a file is, from its own bytes (its signature), since a client's media type
 * may be generic (`application/octet-stream`) or wrong. MLHub decodes PNG and JPEG; the other
 * common formats are recognised only to say what was sent.
 */

export type ImageFormat = 'png' | 'jpeg';

/** For messages: the formats MLHub reads. */
export const READABLE_FORMATS = 'PNG (image/png) and JPEG (image/jpeg)';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG by its 8-byte signature (PNG spec §5.2), JPEG by SOI followed by a marker (ITU T.81 B.1.1.3). */
export function sniffImageFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

const ascii = (bytes: Buffer, start: number, end: number): string => (bytes.length >= end ? bytes.toString('latin1', start, end) : '');

/** The name of another image format the bytes are, for telling a client what it sent; undefined if unknown. */
export function otherImageFormat(bytes: Buffer): string | undefined {
  const head = ascii(bytes, 0, 6);
  if (head === 'GIF87a' || head === 'GIF89a') return 'GIF';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'WebP';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 26) return 'BMP';
  if (ascii(bytes, 0, 4) === 'II*\0' || ascii(bytes, 0, 4) === 'MM\0*') return 'TIFF';
  if (ascii(bytes, 4, 8) === 'ftyp' && /^(heic|heix|mif1|msf1|avif|avis)$/.test(ascii(bytes, 8, 12))) return 'HEIF/AVIF';
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x00000100) return 'ICO';
  if (ascii(bytes, 0, 5) === '<?xml' || ascii(bytes, 0, 4) === '<svg') return 'SVG';
  return undefined;
}

/** The format a media type names, if it names PNG or JPEG (including the old image/jpg and image/pjpeg). */
export function declaredImageFormat(mediaType: string): ImageFormat | undefined {
  if (mediaType === 'image/png' || mediaType === 'image/x-png') return 'png';
  if (mediaType === 'image/jpeg' || mediaType === 'image/jpg' || mediaType === 'image/pjpeg') return 'jpeg';
  return undefined;
}
