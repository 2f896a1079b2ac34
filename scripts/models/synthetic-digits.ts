/**
 * Draws MNIST-style digits without MNIST: each digit is a few pen strokes in a unit box, drawn
 * white on black at 28×28 with anti-aliased lines, and (for training) randomly scaled, rotated,
 * sheared, shifted and thickened, as handwriting varies. Deterministic for a given seed.
 */

type Point = readonly [number, number];

const arc = (cx: number, cy: number, rx: number, ry: number, from: number, to: number, steps = 16): Point[] =>
  Array.from({ length: steps + 1 }, (_, i) => {
    const angle = from + ((to - from) * i) / steps;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)] as const;
  });

/** Strokes per digit; y grows downwards. */
export const DIGIT_STROKES: readonly (readonly Point[][])[] = [
  [arc(0.5, 0.5, 0.28, 0.4, 0, 2 * Math.PI, 24)],
  [[[0.36, 0.24], [0.54, 0.1], [0.54, 0.9]]],
  [[...arc(0.5, 0.32, 0.24, 0.2, Math.PI * 1.05, Math.PI * 2.15, 10), [0.26, 0.9], [0.78, 0.9]]],
  [[...arc(0.48, 0.3, 0.24, 0.19, Math.PI * 1.15, Math.PI * 2.5, 10), ...arc(0.48, 0.7, 0.26, 0.21, Math.PI * 1.5, Math.PI * 2.85, 10)]],
  [[[0.66, 0.9], [0.66, 0.1], [0.2, 0.64], [0.82, 0.64]]],
  [[[0.74, 0.1], [0.32, 0.1], [0.29, 0.46], ...arc(0.5, 0.66, 0.25, 0.24, Math.PI * 1.2, Math.PI * 2.8, 12)]],
  [[[0.68, 0.1], [0.44, 0.24], [0.3, 0.48], ...arc(0.5, 0.7, 0.21, 0.2, Math.PI, Math.PI * 3, 16)]],
  [[[0.22, 0.1], [0.8, 0.1], [0.42, 0.9]]],
  [arc(0.5, 0.28, 0.19, 0.18, 0, 2 * Math.PI, 16), arc(0.5, 0.7, 0.24, 0.21, 0, 2 * Math.PI, 18)],
  [[...arc(0.48, 0.32, 0.21, 0.2, 0, 2 * Math.PI, 16), [0.69, 0.34], [0.62, 0.9]]],
];

/** A small, fast, seedable PRNG (mulberry32). */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Distortion {
  readonly scale: number;
  readonly rotation: number;
  readonly shear: number;
  readonly shiftX: number;
  readonly shiftY: number;
  readonly thickness: number;
  readonly jitter: number;
}

/** The upright, centred glyph: what the demo images show. */
export const NO_DISTORTION: Distortion = { scale: 1, rotation: 0, shear: 0, shiftX: 0, shiftY: 0, thickness: 2.2, jitter: 0 };

export function randomDistortion(random: () => number): Distortion {
  const between = (low: number, high: number): number => low + (high - low) * random();
  return {
    scale: between(0.8, 1.1),
    rotation: between(-0.25, 0.25),
    shear: between(-0.25, 0.25),
    shiftX: between(-2.5, 2.5),
    shiftY: between(-2, 2),
    thickness: between(1.4, 3),
    jitter: 0.03,
  };
}

function distanceToSegment(px: number, py: number, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const length = dx * dx + dy * dy;
  const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / length));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

/** 28×28 grey pixels (0-255, row-major), the digit in a 20×20 box at the centre as in MNIST. */
export function drawDigit(digit: number, distortion: Distortion, random: () => number = () => 0.5): Uint8Array {
  const size = 28;
  const box = 20 * distortion.scale;
  const cos = Math.cos(distortion.rotation);
  const sin = Math.sin(distortion.rotation);
  const place = ([x, y]: Point): Point => {
    const jx = x + (random() - 0.5) * 2 * distortion.jitter;
    const jy = y + (random() - 0.5) * 2 * distortion.jitter;
    const ux = (jx - 0.5 + distortion.shear * (jy - 0.5)) * box;
    const uy = (jy - 0.5) * box;
    return [size / 2 + ux * cos - uy * sin + distortion.shiftX, size / 2 + ux * sin + uy * cos + distortion.shiftY];
  };
  const strokes = (DIGIT_STROKES[digit] ?? []).map((stroke) => stroke.map(place));
  const pixels = new Uint8Array(size * size);
  const half = distortion.thickness / 2;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      let nearest = Infinity;
      for (const stroke of strokes) {
        for (let i = 1; i < stroke.length; i += 1) nearest = Math.min(nearest, distanceToSegment(x + 0.5, y + 0.5, stroke[i - 1]!, stroke[i]!));
      }
      // Full intensity inside the pen, fading over one pixel at its edge.
      const ink = Math.max(0, Math.min(1, half + 0.5 - nearest));
      pixels[y * size + x] = Math.round(ink * 255);
    }
  }
  return pixels;
}
