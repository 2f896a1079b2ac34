/**
 * Resizes planar float images. Shrinking averages the area each output pixel covers (what
 * OpenCV calls INTER_AREA), so a digit drawn at 56×56 becomes the same strokes at 28×28 without
 * aliasing; enlarging interpolates bilinearly between pixel centres.
 */

interface Tap {
  readonly index: number;
  readonly weight: number;
}

/** For each output position, the input positions it reads and their weights (summing to 1). */
function taps(inputSize: number, outputSize: number): Tap[][] {
  const scale = inputSize / outputSize;
  const result: Tap[][] = [];
  for (let out = 0; out < outputSize; out += 1) {
    if (scale >= 1) {
      const start = out * scale;
      const end = start + scale;
      const row: Tap[] = [];
      for (let index = Math.floor(start); index < Math.min(Math.ceil(end), inputSize); index += 1) {
        const covered = Math.min(end, index + 1) - Math.max(start, index);
        if (covered > 1e-9) row.push({ index, weight: covered / scale });
      }
      result.push(row);
    } else {
      const centre = Math.min(Math.max((out + 0.5) * scale - 0.5, 0), inputSize - 1);
      const low = Math.floor(centre);
      const high = Math.min(low + 1, inputSize - 1);
      const fraction = centre - low;
      result.push(fraction === 0 || high === low ? [{ index: low, weight: 1 }] : [{ index: low, weight: 1 - fraction }, { index: high, weight: fraction }]);
    }
  }
  return result;
}

/** Resizes one channel plane (width × height floats, row-major). */
export function resizePlane(plane: Float64Array, width: number, height: number, outWidth: number, outHeight: number): Float64Array {
  if (width === outWidth && height === outHeight) return plane;
  const across = taps(width, outWidth);
  const down = taps(height, outHeight);
  // Separable: first along rows, then along columns.
  const horizontal = new Float64Array(outWidth * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      let sum = 0;
      for (const tap of across[x] ?? []) sum += (plane[y * width + tap.index] ?? 0) * tap.weight;
      horizontal[y * outWidth + x] = sum;
    }
  }
  const out = new Float64Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      let sum = 0;
      for (const tap of down[y] ?? []) sum += (horizontal[tap.index * outWidth + x] ?? 0) * tap.weight;
      out[y * outWidth + x] = sum;
    }
  }
  return out;
}
