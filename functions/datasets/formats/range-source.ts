import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * Random access to one stored object: the readers' only way to its bytes. `end` is exclusive;
 * a range outside [0, size] is a fault of the caller and throws. In production this is an S3
 * ranged GET (`Range: bytes=start-(end-1)`, RFC 9110 §14.1.2), built by the dataset resource.
 */
export interface RangeSource {
  readonly size: number;
  read(start: number, end: number): Promise<Uint8Array>;
  stream(start: number, end: number): Promise<Readable>;
}

function checkRange(size: number, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
    throw new RangeError(`Byte range [${start}, ${end}) is outside the object's ${size} bytes`);
  }
}

/** Bytes held in memory: for tests and small objects. */
export function bufferRangeSource(bytes: Uint8Array): RangeSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buffer.length,
    read: async (start, end) => {
      checkRange(buffer.length, start, end);
      return buffer.subarray(start, end);
    },
    stream: async (start, end) => {
      checkRange(buffer.length, start, end);
      // Several chunks, as a network stream would deliver them, so readers meet split records.
      const slice = buffer.subarray(start, end);
      const parts: Buffer[] = [];
      for (let at = 0; at < slice.length; at += 64 * 1024) parts.push(slice.subarray(at, at + 64 * 1024));
      return Readable.from(parts, { objectMode: false });
    },
  };
}

/** A local file, opened per read (no descriptor is held between reads). */
export async function fileRangeSource(path: string): Promise<RangeSource> {
  const { size } = await stat(path);
  return {
    size,
    read: async (start, end) => {
      checkRange(size, start, end);
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(end - start);
        let done = 0;
        while (done < buffer.length) {
          const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
          if (bytesRead === 0) throw new RangeError(`${path} ended at ${start + done} bytes, before ${end}`);
          done += bytesRead;
        }
        return buffer;
      } finally {
        await handle.close();
      }
    },
    stream: async (start, end) => {
      checkRange(size, start, end);
      // createReadStream's `end` is inclusive; an empty range is an empty stream.
      return end === start ? Readable.from([]) : createReadStream(path, { start, end: end - 1 });
    },
  };
}
