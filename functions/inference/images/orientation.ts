import readExif from 'exif-reader';
import type { Raster } from './decode-image';

/**
 * The EXIF Orientation tag (tag 274 / 0x0112 in IFD0; TIFF 6.0 §"Orientation", CIPA DC-008
 * Exif 2.3 §4.6.4 A): how the stored rows and columns map to what a viewer shows. 1 is as stored;
 * 2–8 mirror and/or rotate. Phones store pictures as the sensor read them and set this tag rather
 * than rotate the pixels, so a model must be fed the image turned as every viewer shows it.
 */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const isOrientation = (value: unknown): value is Orientation => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8;

/**
 * The orientation in a JPEG's APP1 EXIF payload as jpeg-js hands it over (the bytes after
 * "Exif\0"), or 1 when there is none. Malformed EXIF (truncated, offsets past its end, an
 * out-of-range value) is read as 1, as viewers do: the tag is metadata, and the pixels decoded
 * fine without it.
 */
export function exifOrientation(exifPayload: Uint8Array | undefined): Orientation {
  if (!exifPayload || exifPayload.length === 0) return 1;
  try {
    // exif-reader wants the segment from its "Exif\0\0" identifier on; jpeg-js strips 5 of those 6 bytes.
    const segment = Buffer.concat([Buffer.from('Exif\0', 'latin1'), Buffer.from(exifPayload.buffer, exifPayload.byteOffset, exifPayload.byteLength)]);
    const orientation = readExif(segment).Image?.Orientation;
    return isOrientation(orientation) ? orientation : 1;
  } catch {
    return 1;
  }
}

/**
 * For each orientation, where a displayed pixel (x, y) is read from in the stored w × h raster.
 * Derived from the tag's definition of where the stored 0th row and 0th column are shown:
 * 2 mirrors left–right, 3 turns 180°, 4 mirrors top–bottom, 5 transposes, 6 turns 90° clockwise,
 * 7 transverses, 8 turns 90° counter-clockwise (PIL's ImageOps.exif_transpose applies the same).
 */
const SOURCE: Readonly<Record<Exclude<Orientation, 1>, (x: number, y: number, w: number, h: number) => readonly [number, number]>> = {
  2: (x, y, w) => [w - 1 - x, y],
  3: (x, y, w, h) => [w - 1 - x, h - 1 - y],
  4: (x, y, _w, h) => [x, h - 1 - y],
  5: (x, y) => [y, x],
  6: (x, y, _w, h) => [y, h - 1 - x],
  7: (x, y, w, h) => [w - 1 - y, h - 1 - x],
  8: (x, y, w) => [w - 1 - y, x],
};

/** The raster as a viewer shows it: mirrored and/or rotated per its orientation (5–8 swap width and height). */
export function applyOrientation(raster: Raster, orientation: Orientation): Raster {
  if (orientation === 1) return raster;
  const source = SOURCE[orientation];
  const swaps = orientation >= 5;
  const width = swaps ? raster.height : raster.width;
  const height = swaps ? raster.width : raster.height;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const [sx, sy] = source(x, y, raster.width, raster.height);
      const from = (sy * raster.width + sx) * 4;
      rgba.set(raster.rgba.subarray(from, from + 4), (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}
