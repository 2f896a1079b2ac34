import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { decodeImage, type Raster } from '../../../functions/inference/images/decode-image';
import { applyOrientation, exifOrientation, type Orientation } from '../../../functions/inference/images/orientation';
import { displayedPosition, encodeJpeg, enlarge, exifOrientationPayload, withApp1, type TestImage } from '../../support/inference/images';
import { seededValues } from '../../support/inference/reference';

const ORIENTATIONS = [1, 2, 3, 4, 5, 6, 7, 8] as const;
const fixture = (name: string) => readFile(new URL(`../../fixtures/exif/${name}`, import.meta.url));
const jpegInput = (bytes: Buffer) => ({ bytes, format: 'jpeg' as const });
const red = (raster: Raster, x: number, y: number): number => raster.rgba[(y * raster.width + x) * 4]!;

/** 3 × 2 stored pixels, each a distinct grey, far enough apart to survive JPEG. */
const STORED: TestImage = { width: 3, height: 2, channels: 1, values: Uint8Array.from([0, 50, 100, 150, 200, 250]) };

/** Averages blocks of `factor` pixels back to one value each (the red channel of a grey image). */
function blocks(raster: Raster, factor: number): { width: number; height: number; at: (x: number, y: number) => number } {
  return {
    width: raster.width / factor,
    height: raster.height / factor,
    at: (bx, by) => {
      let sum = 0;
      for (let y = 0; y < factor; y += 1) for (let x = 0; x < factor; x += 1) sum += red(raster, bx * factor + x, by * factor + y);
      return sum / (factor * factor);
    },
  };
}

describe('applyOrientation', () => {
  const raster: Raster = { width: 3, height: 2, rgba: Uint8Array.from(Array.from(STORED.values).flatMap((value) => [value, value, value, 255])) };

  it.each(ORIENTATIONS)('turns orientation %i as the EXIF definition of its 0th row and column says', (orientation) => {
    const shown = applyOrientation(raster, orientation);
    for (let y = 0; y < 2; y += 1) {
      for (let x = 0; x < 3; x += 1) {
        const at = displayedPosition(x, y, 3, 2, orientation);
        expect([shown.width, shown.height]).toEqual([at.width, at.height]);
        expect(red(shown, at.x, at.y)).toBe(STORED.values[y * 3 + x]);
      }
    }
  });
});

describe('a JPEG with an EXIF orientation', () => {
  const plain = encodeJpeg(enlarge(STORED, 8), 100);

  it.each(ORIENTATIONS.flatMap((orientation) => (['MM', 'II'] as const).map((order) => [orientation, order] as const)))(
    'is decoded as shown for orientation %i (%s byte order)', (orientation, order) => {
      const shown = blocks(decodeImage(jpegInput(withApp1(plain, exifOrientationPayload(orientation, order))), 1e6), 8);
      for (let y = 0; y < 2; y += 1) {
        for (let x = 0; x < 3; x += 1) {
          const at = displayedPosition(x, y, 3, 2, orientation);
          expect([shown.width, shown.height]).toEqual([at.width, at.height]);
          expect(Math.abs(shown.at(at.x, at.y) - STORED.values[y * 3 + x]!)).toBeLessThan(4);
        }
      }
    });

  it('shows the shared cases as every viewer does: the white pixel top-left without a tag, top-right with orientation 6', async () => {
    const none = decodeImage(jpegInput(await fixture('exif_none.jpg')), 1e6);
    const six = decodeImage(jpegInput(await fixture('exif_orient6.jpg')), 1e6);
    const brightest = (raster: Raster) => {
      const reds = Array.from({ length: raster.width * raster.height }, (_, i) => raster.rgba[i * 4]!);
      return reds.indexOf(Math.max(...reds));
    };
    expect(brightest(none)).toBe(0);
    expect(brightest(six)).toBe(3);
  });
});

describe('malformed EXIF', () => {
  const plain = encodeJpeg(enlarge(STORED, 8), 100);
  const unturned = decodeImage(jpegInput(plain), 1e6);
  const good = exifOrientationPayload(6);
  const patched = (offset: number, bytes: number[]): Buffer => {
    const copy = Buffer.from(good);
    Buffer.from(bytes).copy(copy, offset);
    return copy;
  };
  // Offsets into the payload: 6 "Exif\0\0", then TIFF header (byte order 6, 42 at 8, IFD offset at 10),
  // entry count at 14, the entry at 16 (tag, type at 18, count at 20, value at 24).
  const cases: [string, Buffer][] = [
    ['an identifier alone', Buffer.from('Exif\0\0', 'latin1')],
    ['a truncated TIFF header', Buffer.from('Exif\0\0MM\0', 'latin1')],
    ['an unknown byte order', patched(6, [0x58, 0x58])],
    ['a wrong TIFF magic number', patched(8, [0, 43])],
    ['an IFD offset past the end', patched(10, [0xff, 0xff, 0xff, 0xf0])],
    ['an entry count past the end', patched(14, [0xff, 0xff])],
    ['orientation 0', patched(24, [0, 0])],
    ['orientation 9', patched(24, [0, 9])],
    ['orientation 65535', patched(24, [0xff, 0xff])],
    ['an unknown field type', patched(18, [0, 99])],
    ['a value count of a million', patched(20, [0, 0x0f, 0x42, 0x40])],
    ['a payload cut mid-entry', good.subarray(0, 20)],
  ];

  it.each(cases)('with %s is read as orientation 1, and the image still decodes', (_what, payload) => {
    const raster = decodeImage(jpegInput(withApp1(plain, payload)), 1e6);
    expect(raster.width).toBe(unturned.width);
    expect(raster.height).toBe(unturned.height);
    expect(Array.from(raster.rgba)).toEqual(Array.from(unturned.rgba));
  });

  it('refuses with 400, not a crash, a JPEG whose EXIF segment runs past the end of the file', () => {
    const cut = withApp1(plain, good).subarray(0, 20);
    expect(() => decodeImage(jpegInput(cut), 1e6)).toThrow(expect.objectContaining({ kind: 'invalid', code: 'invalid_image' }));
  });

  it('never throws, and always gives an orientation from 1 to 8, for random payloads', () => {
    const seen = new Set<Orientation>();
    for (let seed = 1; seed <= 300; seed += 1) {
      const noise = seededValues(4 + (seed % 60), seed).map((value) => Math.floor((value + 1) * 127.99) & 0xff);
      // Half keep a valid TIFF header so the reader gets past it into the IFD.
      const head = seed % 2 === 0 ? [...good.subarray(5, 14)] : [];
      const orientation = exifOrientation(Uint8Array.from([...head, ...noise]));
      expect(ORIENTATIONS).toContain(orientation);
      seen.add(orientation);
    }
    expect(seen.has(1)).toBe(true);
  });
});
