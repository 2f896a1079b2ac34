import type { BundleStore } from '../bundles/bundle-store';
import type { RangeSource } from '../datasets/formats/range-source';
import type { ObjectPin } from '../versions/version-records';

/**
 * A RangeSource (functions/datasets/formats/range-source.ts) on one stored object: each read is an
 * S3 GetObject with `Range: bytes=start-(end-1)` (RFC 9110 §14.1.2), pinned (If-Match / VersionId)
 * to the bytes the inspection saw when a pin is given, so a chunk never reads bytes that changed.
 * `size` is the object's, as the caller learnt it (HeadObject).
 */
export function s3RangeSource(objects: Pick<BundleStore, 'readRange' | 'openRange'>, key: string, size: number, pin?: ObjectPin): RangeSource {
  const check = (start: number, end: number): void => {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
      throw new RangeError(`Byte range [${start}, ${end}) is outside ${key}'s ${size} bytes`);
    }
  };
  return {
    size,
    read: async (start, end) => {
      check(start, end);
      return objects.readRange(key, start, end, pin);
    },
    stream: async (start, end) => {
      check(start, end);
      const stream = await objects.openRange(key, start, end, pin);
      // A reader that stops early destroys the stream; an error with nobody listening would crash the process.
      stream.on('error', () => undefined);
      return stream;
    },
  };
}
