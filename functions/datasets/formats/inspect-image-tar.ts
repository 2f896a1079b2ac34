import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Header } from 'tar-stream';
import { isMacOsMetadata } from '../../bundles/macos-metadata';
import type { TarMember } from './dataset-types';
import { memberFormat, SNIFF_BYTES } from './image-members';
import type { InspectedBody } from './inspect-delimited';
import { rejectDataset } from './refusal';

/** Where tar-stream found the entry's data in the tar (undocumented; inspect-bundle.ts reads it too). */
const dataOffset = (header: Header): number | undefined => (header as Header & { byteOffset?: number }).byteOffset;

async function headOf(entry: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const data of entry) {
    // The rest of the member streams past unread: only its first bytes decide what it is.
    if (length < SNIFF_BYTES) {
      const chunk = data as Buffer;
      parts.push(chunk.subarray(0, SNIFF_BYTES - length));
      length += Math.min(chunk.length, SNIFF_BYTES - length);
    }
  }
  return Buffer.concat(parts);
}

/**
 * Streams a tar (POSIX ustar, pax and GNU headers, as tar-stream reads them) once: every regular
 * member that is a PNG or JPEG by its magic bytes, or is named like an image, is a row, in archive
 * order (a member named like an image that is neither is a bad row when read). Directories, macOS
 * metadata (`._*`, `__MACOSX/`, `.DS_Store`), other files and links are skipped and counted.
 * Offsets are into the tar as streamed (the decompressed copy for a .tar.gz).
 *
 * Refusals: bytes that are not a tar; no image members.
 */
export async function inspectImageTar(plain: Readable): Promise<InspectedBody> {
  const extract = tarExtract();
  const flowing = pipeline(plain, extract);
  flowing.catch(() => undefined);
  const members: TarMember[] = [];
  const ignored = { directories: 0, metadata: 0, other: 0 };
  const formats = { png: 0, jpeg: 0 };
  try {
    for await (const entry of extract) {
      const header: Header = entry.header;
      const regular = header.type === 'file' || header.type === 'contiguous-file';
      const head = regular ? await headOf(entry) : (entry.resume(), Buffer.alloc(0));
      if (header.type === 'directory') ignored.directories += 1;
      else if (isMacOsMetadata(header.name)) ignored.metadata += 1;
      else {
        const format = regular ? memberFormat(header.name, head) : undefined;
        const offset = dataOffset(header);
        if (format === undefined || offset === undefined) ignored.other += 1;
        else {
          members.push({ name: header.name, offset, size: header.size ?? 0, format });
          if (format === 'png' || format === 'jpeg') formats[format] += 1;
        }
      }
    }
    await flowing;
  } catch (error) {
    // The stream failing (a reset connection, a broken gzip stream) is no verdict on the tar.
    if (typeof (error as { code?: unknown })?.code === 'string') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw rejectDataset(`The archive is not a valid tar (${message})`);
  }
  if (members.length === 0) {
    throw rejectDataset(`The archive holds no PNG or JPEG images (skipped: ${ignored.directories} directories, ${ignored.metadata} macOS metadata files, ${ignored.other} other entries)`);
  }
  return { rowCount: members.length, schema: { kind: 'images', formats }, layout: { kind: 'tar', members, ignored } };
}
