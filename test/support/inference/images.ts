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
