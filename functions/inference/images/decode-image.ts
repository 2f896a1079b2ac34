import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { AppError, invalid } from '../../errors/app-error';
import type { ImageInput } from '../predict-input';
import { applyOrientation, exifOrientation } from './orientation';

/** Decoded pixels, always 8-bit RGBA, row by row from the top left. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

const tooManyPixels = (width: number, height: number, limit: number): AppError =>
  new AppError('too_large', 'image_too_large', `The image is ${width}×${height} pixels, over the ${limit} pixels a prediction accepts`);

/** Width and height from the PNG header, read before decoding so a decompression bomb is refused unopened. */
function pngSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function decodePng(bytes: Buffer, maxPixels: number): Raster {
  const size = pngSize(bytes);
  if (!size) throw invalid('invalid_image', 'The PNG has no valid header');
  if (size.width * size.height > maxPixels) throw tooManyPixels(size.width, size.height, maxPixels);
  try {
    // pngjs expands palette, grey and 16-bit images to 8-bit RGBA.
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, rgba: png.data };
  } catch (error) {
    throw invalid('invalid_image', `The PNG could not be decoded (${(error as Error).message})`);
  }
}

/** jpeg-js returns the APP1 EXIF payload as `exifBuffer`, which its type declarations leave out. */
const exifPayload = (decoded: object): Uint8Array | undefined => {
  const payload = (decoded as { exifBuffer?: unknown }).exifBuffer;
  return payload instanceof Uint8Array ? payload : undefined;
};

function decodeJpeg(bytes: Buffer, maxPixels: number): Raster {
  try {
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: maxPixels / 1_000_000,
      // Room for the RGBA output plus the decoder's own component buffers.
      maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / (1024 * 1024)) + 64,
    });
    // Turned before any resizing, so the model sees the picture as cameras and viewers show it.
    return applyOrientation({ width: image.width, height: image.height, rgba: image.data }, exifOrientation(exifPayload(image)));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/maxResolutionInMP|maxMemoryUsageInMB/.test(message)) {
      throw new AppError('too_large', 'image_too_large', `The JPEG is larger than the ${maxPixels} pixels a prediction accepts`);
    }
    throw invalid('invalid_image', `The JPEG could not be decoded (${message})`);
  }
}

export function decodeImage(image: ImageInput, maxPixels: number): Raster {
  const raster = image.format === 'png' ? decodePng(image.bytes, maxPixels) : decodeJpeg(image.bytes, maxPixels);
  if (raster.width === 0 || raster.height === 0) throw invalid('invalid_image', 'The image has no pixels');
  return raster;
}
