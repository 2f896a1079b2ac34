import { IMAGE_PATH, type ResolvedSelection } from './column-selection';
import type { ChunkRow, DatasetChunk, DatasetLayout, TarMember } from './dataset-types';
import type { RangeSource } from './range-source';

type Tar = Extract<DatasetLayout, { kind: 'tar' }>;

const FORMAT_NAMES: Readonly<Record<string, string>> = { unknown: 'neither a PNG nor a JPEG file' };

/** Why a member cannot be fed, or undefined if it can. */
function memberFault(member: TarMember, maxImageBytes: number): string | undefined {
  const name = JSON.stringify(member.name);
  if (member.format !== 'png' && member.format !== 'jpeg') {
    return `member ${name} is ${FORMAT_NAMES[member.format] ?? `a ${member.format} file`}; MLHub reads PNG and JPEG images`;
  }
  if (member.size > maxImageBytes) return `member ${name} is ${member.size} bytes, over the ${maxImageBytes} bytes a prediction accepts`;
  return undefined;
}

/**
 * Reads an image-archive chunk: the members' bytes, one ranged read per run of readable members
 * (a member too large or not PNG/JPEG is never read, and comes out as an error row).
 */
export async function* readImageTar(layout: Tar, chunk: DatasetChunk, source: RangeSource, selection: Extract<ResolvedSelection, { kind: 'images' }>, maxImageBytes: number): AsyncGenerator<ChunkRow> {
  const members = layout.members.slice(chunk.rowStart, chunk.rowStart + chunk.rowCount);
  const keepPath = selection.keep.includes(IMAGE_PATH);
  let at = 0;
  while (at < members.length) {
    const fault = memberFault(members[at]!, maxImageBytes);
    if (fault) {
      yield { row: chunk.rowStart + at, error: fault };
      at += 1;
      continue;
    }
    let end = at + 1;
    while (end < members.length && !memberFault(members[end]!, maxImageBytes)) end += 1;
    const first = members[at]!;
    const last = members[end - 1]!;
    const bytes = Buffer.from(await source.read(first.offset, last.offset + last.size));
    for (let index = at; index < end; index += 1) {
      const member = members[index]!;
      const image = bytes.subarray(member.offset - first.offset, member.offset - first.offset + member.size);
      yield { row: chunk.rowStart + index, image, ...(keepPath ? { kept: { [IMAGE_PATH]: member.name } } : {}) };
    }
    at = end;
  }
}
