import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Pixels as channel values per pixel, row-major: 1 (grey), 3 (RGB) or 4 (RGBA) per pixel. */
export interface TestImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly values: Uint8Array;
}

function rgba(image: TestImage): Buffer {
  const out = Buffer.alloc(image.width * image.height * 4);
  for (let pixel = 0; pixel < image.width * image.height; pixel += 1) {
    const at = pixel * image.channels;
    const [r, g, b, a] = image.channels === 1
      ? [image.values[at]!, image.values[at]!, image.values[at]!, 255]
      : [image.values[at]!, image.values[at + 1]!, image.values[at + 2]!, image.channels === 4 ? image.values[at + 3]! : 255];
    out.set([r, g, b, a], pixel * 4);
  }
  return out;
}

export function encodePng(image: TestImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  rgba(image).copy(png.data);
  return PNG.sync.write(png);
}

export function encodeJpeg(image: TestImage, quality = 95): Buffer {
  return jpeg.encode({ width: image.width, height: image.height, data: rgba(image) }, quality).data;
}

/** Each pixel repeated factor × factor times: shrinking it back by area averaging gives the original exactly. */
export function enlarge(image: TestImage, factor: number): TestImage {
  const width = image.width * factor;
  const height = image.height * factor;
  const values = new Uint8Array(width * height * image.channels);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const from = (Math.floor(y / factor) * image.width + Math.floor(x / factor)) * image.channels;
      values.set(image.values.subarray(from, from + image.channels), (y * width + x) * image.channels);
    }
  }
  return { width, height, channels: image.channels, values };
}

/** Averages factor × factor blocks: the test's own, independent reference for shrinking. */
export function blockAverage(values: ArrayLike<number>, width: number, height: number, channels: number, factor: number): number[] {
  const outWidth = width / factor;
  const outHeight = height / factor;
  const out: number[] = [];
  for (let y = 0; y < outHeight; y += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      for (let c = 0; c < channels; c += 1) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy += 1) {
          for (let dx = 0; dx < factor; dx += 1) sum += values[((y * factor + dy) * width + x * factor + dx) * channels + c]!;
        }
        out.push(sum / (factor * factor));
      }
    }
  }
  return out;
}

/** A deterministic pattern with every value 0-255 represented, so layout mistakes show. */
export function patternImage(width: number, height: number, channels: 1 | 3 | 4, seed = 1): TestImage {
  const values = new Uint8Array(width * height * channels);
  let state = seed;
  for (let i = 0; i < values.length; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    values[i] = state % 256;
  }
  return { width, height, channels, values };
}

/** A smooth image (gradients, no sharp edges), which JPEG keeps close to the original. */
export function smoothImage(width: number, height: number): TestImage {
  const values = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) values[y * width + x] = Math.round(127.5 + 100 * Math.sin(x / 9) * Math.cos(y / 11));
  }
  return { width, height, channels: 1, values };
}

/** A JPEG with an APP1 segment holding `payload` inserted right after its SOI marker (ITU T.81 B.2.4.6). */
export function withApp1(jpegBytes: Buffer, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpegBytes.subarray(0, 2), header, payload, jpegBytes.subarray(2)]);
}

/**
 * An EXIF APP1 payload whose IFD0 holds only the Orientation tag (0x0112, SHORT, count 1), in
 * either byte order (TIFF 6.0 §2: "II" little-endian, "MM" big-endian). `value` is written as
 * given, so tests can write values outside 1–8 too.
 */
export function exifOrientationPayload(value: number, byteOrder: 'II' | 'MM' = 'MM'): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const little = byteOrder === 'II';
  const u16 = (offset: number, n: number) => (little ? tiff.writeUInt16LE(n, offset) : tiff.writeUInt16BE(n, offset));
  const u32 = (offset: number, n: number) => (little ? tiff.writeUInt32LE(n, offset) : tiff.writeUInt32BE(n, offset));
  tiff.write(byteOrder, 0, 'latin1');
  u16(2, 42);
  u32(4, 8);
  u16(8, 1);
  u16(10, 0x0112);
  u16(12, 3);
  u32(14, 1);
  u16(18, value);
  u32(22, 0);
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/**
 * Where the stored pixel (x, y) of a w × h image is shown for an EXIF orientation, read straight
 * from the tag's definition (CIPA DC-008, Orientation): the side of the displayed image that the
 * stored 0th row runs along, and the side the stored 0th column runs along.
 */
export function displayedPosition(x: number, y: number, w: number, h: number, orientation: number): { x: number; y: number; width: number; height: number } {
  const sides: Record<number, readonly [string, string]> = {
    1: ['top', 'left'], 2: ['top', 'right'], 3: ['bottom', 'right'], 4: ['bottom', 'left'],
    5: ['left', 'top'], 6: ['right', 'top'], 7: ['right', 'bottom'], 8: ['left', 'bottom'],
  };
  const [rowSide, columnSide] = sides[orientation]!;
  const width = rowSide === 'top' || rowSide === 'bottom' ? w : h;
  const height = rowSide === 'top' || rowSide === 'bottom' ? h : w;
  // The stored row y lies y lines in from the row side; the stored column x lies x in from the column side.
  const fromSide = (side: string, distance: number): { x?: number; y?: number } => {
    switch (side) {
      case 'top': return { y: distance };
      case 'bottom': return { y: height - 1 - distance };
      case 'left': return { x: distance };
      default: return { x: width - 1 - distance };
    }
  };
  const position = { ...fromSide(rowSide, y), ...fromSide(columnSide, x) };
  return { x: position.x!, y: position.y!, width, height };
}
